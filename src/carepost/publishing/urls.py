from django.urls import path

from carepost.publishing import views

app_name = "publishing"

urlpatterns = [
    path("", views.publications, name="list"),
    path("<int:publication_id>/take-down/", views.take_down, name="take_down"),
    path("preview/", views.preview, name="preview"),
]
