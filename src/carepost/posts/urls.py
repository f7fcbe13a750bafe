from django.urls import path

from carepost.posts import photo_views, views

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
    path("posts/<int:post_id>/photos/status/", photo_views.photo_status, name="photo_status"),
    path("posts/<int:post_id>/faces/", photo_views.faces_decide, name="faces_decide"),
    path(
        "posts/<int:post_id>/photos/<int:rp_id>/faces/new/",
        photo_views.face_mark,
        name="face_mark",
    ),
    path(
        "posts/<int:post_id>/photos/<int:rp_id>/retry/", photo_views.photo_retry, name="photo_retry"
    ),
    path(
        "posts/<int:post_id>/photos/<int:rp_id>/published/",
        photo_views.published_photo,
        name="published_photo",
    ),
]
