from django.urls import path

from carepost.posts import views

app_name = "posts"

urlpatterns = [
    path("", views.desk, name="desk"),
    path("posts/new/", views.post_new, name="new"),
    path("posts/<int:post_id>/", views.post_detail, name="detail"),
    path("posts/<int:post_id>/edit/", views.post_edit, name="edit"),
    path("posts/<int:post_id>/submit/", views.post_submit, name="submit"),
    path("posts/<int:post_id>/withdraw/", views.post_withdraw, name="withdraw"),
    path("posts/<int:post_id>/archive/", views.post_archive, name="archive"),
    path("findings/<int:finding_id>/acknowledge/", views.finding_acknowledge, name="acknowledge"),
    path("photos/<int:photo_id>/clean/", views.photo_preview, name="photo_preview"),
]
