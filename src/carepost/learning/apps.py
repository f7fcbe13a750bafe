from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "carepost.learning"
    label = "learning"
