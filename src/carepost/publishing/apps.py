from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "carepost.publishing"
    label = "publishing"
