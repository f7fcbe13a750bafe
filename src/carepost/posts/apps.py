from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "carepost.posts"
    label = "posts"
