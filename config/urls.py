from django.urls import include, path

from carepost.api.api import api
from carepost.publishing.channel_urls import connector_urlpatterns

urlpatterns = [
    path("", include("carepost.posts.urls")),
    path("accounts/", include("carepost.accounts.urls")),
    path("review/", include("carepost.review.urls")),
    path("publications/", include("carepost.publishing.urls")),
    path("news/", include("carepost.publishing.news_urls")),
    path("channels/", include("carepost.publishing.channel_urls")),
    *connector_urlpatterns,
    path("consent/", include("carepost.consent.urls")),
    path("boundaries/", include("carepost.boundaries.urls")),
    path("policies/", include("carepost.policies.urls")),
    path("learning/", include("carepost.learning.urls")),
    path("api/v1/", api.urls),
]
