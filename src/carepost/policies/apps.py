from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "carepost.policies"
    label = "policies"

    def ready(self) -> None:
        from carepost.accounts.roles import Role
        from carepost.common.registry import home_panel, nav_item
        from carepost.policies import views

        nav_item("Policies", "policies:index", order=60)
        nav_item("My team's reading", "policies:team", roles=[Role.LINE_MANAGER], order=61)
        nav_item("Policy coverage", "policies:coverage", roles=[Role.ORG_ADMIN], order=62)
        home_panel(views.attestation_panel)
        home_panel(views.team_panel)
