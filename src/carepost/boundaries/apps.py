from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "carepost.boundaries"
    label = "boundaries"
