from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "carepost.review"
    label = "review"
