from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "carepost.boundaries"
    label = "boundaries"
    verbose_name = "Boundaries register"

    def ready(self) -> None:
        from carepost.boundaries.panels import boundaries_panel
        from carepost.common.registry import home_panel, nav_item

        nav_item("Boundaries", "boundaries:home", order=30)
        home_panel(boundaries_panel)
