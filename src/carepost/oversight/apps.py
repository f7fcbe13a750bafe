from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "carepost.oversight"
    label = "oversight"
