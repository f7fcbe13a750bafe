from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "carepost.consent"
    label = "consent"

    def ready(self) -> None:
        from carepost.accounts.roles import Role
        from carepost.common.registry import nav_item

        nav_item(
            "Consent register",
            "consent:register",
            roles=[Role.CONSENT_OFFICER, Role.ORG_ADMIN, Role.SAFEGUARDING_LEAD],
            order=30,
        )
