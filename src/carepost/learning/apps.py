from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "carepost.learning"
    label = "learning"

    def ready(self) -> None:
        from carepost.common.registry import home_panel, nav_item
        from carepost.learning import views

        nav_item("Learning", "learning:index", order=65)
        home_panel(views.comments_panel)
        home_panel(views.manager_panel)
