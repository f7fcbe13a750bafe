"""Mounted at /channels/bluesky/ (namespace channels_bluesky) by publishing.channel_urls."""

from django.urls import path

from carepost.publishing.connectors.bluesky import views

app_name = "channels_bluesky"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("<int:channel_id>/reconnect/", views.reconnect, name="reconnect"),
]
