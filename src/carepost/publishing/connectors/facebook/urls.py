"""Setup views for Facebook Pages, mounted at /channels/facebook/ (namespace channels_facebook)."""

from django.urls import path

from carepost.publishing.connectors.facebook import views

app_name = "channels_facebook"

urlpatterns = [
    path("connect/", views.connect, name="connect"),
    path("<int:channel_id>/reconnect/", views.reconnect, name="reconnect"),
    path("callback/", views.callback, name="callback"),
    path("choose/", views.choose, name="choose"),
]
