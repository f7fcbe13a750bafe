from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "carepost.review"
    label = "review"

    def ready(self) -> None:
        from carepost.accounts.roles import Role
        from carepost.common.registry import nav_item

        nav_item("Review queue", "review:queue", roles=[Role.REVIEWER], order=10)
