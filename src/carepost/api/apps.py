from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "carepost.api"
    label = "api"
