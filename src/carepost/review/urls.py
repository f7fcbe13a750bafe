from django.urls import path

from carepost.review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("posts/<int:post_id>/decide/", views.decide, name="decide"),
]
