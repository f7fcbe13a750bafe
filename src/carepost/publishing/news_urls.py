from django.urls import path

from carepost.publishing import news

app_name = "news"

urlpatterns = [
    path("<slug:org_slug>/", news.news_page, name="page"),
    path("<slug:org_slug>/feed.atom", news.NewsFeed(), name="feed"),
    path("<slug:org_slug>/<int:publication_id>/", news.news_item_page, name="item"),
    path(
        "<slug:org_slug>/<int:publication_id>/photo/<int:position>", news.news_photo, name="photo"
    ),
]
