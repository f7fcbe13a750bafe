"""/channels/: the list, plus each connector's own setup views at /channels/<kind>/."""

from django.urls import include, path

from carepost.publishing import channel_views
from carepost.publishing.connectors.registry import setup_url_modules

app_name = "channels"

urlpatterns = [
    path("", channel_views.channel_list, name="list"),
    path("<int:channel_id>/disable/", channel_views.channel_disable, name="disable"),
]

# Mounted at the project level so each connector keeps its own namespace.
connector_urlpatterns = [
    path(f"channels/{kind}/", include(module, namespace=f"channels_{kind}"))
    for kind, module in setup_url_modules().items()
]
