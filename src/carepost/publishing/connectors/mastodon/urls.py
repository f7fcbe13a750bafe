"""Setup views for Mastodon, mounted at /channels/mastodon/ (namespace channels_mastodon)."""

from django.urls import path

from carepost.publishing.connectors.mastodon import views

app_name = "channels_mastodon"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("<int:channel_id>/reconnect/", views.reconnect, name="reconnect"),
    path("callback/", views.callback, name="callback"),
]
