from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "carepost.consent"
    label = "consent"
