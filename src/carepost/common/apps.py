from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "carepost.common"
    label = "common"
