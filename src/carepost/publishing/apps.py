from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "carepost.publishing"
    label = "publishing"

    def ready(self) -> None:
        from carepost.accounts.roles import Role
        from carepost.common.registry import home_panel, nav_item
        from carepost.publishing.views import attention_panel

        nav_item("Publications", "publishing:list", roles=[Role.REVIEWER, Role.ORG_ADMIN], order=20)
        nav_item("Channels", "channels:list", roles=[Role.REVIEWER, Role.ORG_ADMIN], order=21)
        home_panel(attention_panel)
