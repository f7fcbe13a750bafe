from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "carepost.posts"
    label = "posts"

    def ready(self) -> None:
        from carepost.common.registry import nav_item

        nav_item("Home", "posts:desk", order=0)
