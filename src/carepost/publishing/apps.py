from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "carepost.publishing"
    label = "publishing"

    def ready(self) -> None:
        from carepost.accounts.roles import Role
        from carepost.common.registry import nav_item

        nav_item("Publications", "publishing:list", roles=[Role.REVIEWER, Role.ORG_ADMIN], order=20)
        nav_item("Channels", "channels:list", roles=[Role.REVIEWER, Role.ORG_ADMIN], order=21)
