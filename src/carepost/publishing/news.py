"""The public website channel: a news page per organisation and its Atom feed."""

from __future__ import annotations

from typing import Any

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from carepost.accounts.models import Organisation
from carepost.accounts.selectors import organisation_by_slug
from carepost.publishing import selectors
from carepost.publishing.models import Publication


def news_page(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = organisation_by_slug(slug=org_slug)
    items = selectors.news_items(organisation=organisation)
    return render(request, "publishing/news.html", {"organisation": organisation, "items": items})


def news_item_page(request: HttpRequest, org_slug: str, publication_id: int) -> HttpResponse:
    organisation = organisation_by_slug(slug=org_slug)
    item = selectors.news_item(organisation=organisation, publication_id=publication_id)
    return render(
        request, "publishing/news_item.html", {"organisation": organisation, "item": item}
    )


def news_photo(
    request: HttpRequest, org_slug: str, publication_id: int, position: int
) -> HttpResponse:
    organisation = organisation_by_slug(slug=org_slug)
    rp = selectors.news_photo(
        organisation=organisation, publication_id=publication_id, position=position
    )
    data, content_type = rp.published_image()
    response = HttpResponse(data, content_type=content_type)
    # Short cache: a take-down must reach readers quickly.
    response["Cache-Control"] = "public, max-age=60"
    return response


class NewsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, org_slug: str) -> Organisation:
        self.request = request
        return organisation_by_slug(slug=org_slug)

    def title(self, obj: Organisation) -> str:
        return f"{obj.name}: news"

    def subtitle(self, obj: Organisation) -> str:
        return f"News from {obj.name}"

    def link(self, obj: Organisation) -> str:
        return reverse("news:page", kwargs={"org_slug": obj.slug})

    def feed_url(self, obj: Organisation) -> str:
        return reverse("news:feed", kwargs={"org_slug": obj.slug})

    def author_name(self, obj: Organisation) -> str:
        return obj.name

    def items(self, obj: Organisation) -> list[Publication]:
        return selectors.news_items(organisation=obj)

    def item_title(self, item: Publication) -> str:
        text = item.revision.text.strip()
        first = text.splitlines()[0] if text else "Photo"
        return first if len(first) <= 90 else first[:87] + "…"

    def item_description(self, item: Publication) -> str:
        parts = [linebreaks(escape(item.revision.text))]
        for rp in item.revision.photos.all():
            src = self.request.build_absolute_uri(
                reverse(
                    "news:photo",
                    kwargs={
                        "org_slug": item.organisation.slug,
                        "publication_id": item.pk,
                        "position": rp.position,
                    },
                )
            )
            parts.append(f'<p><img src="{escape(src)}" alt="{escape(rp.alt_text)}"></p>')
        return "".join(parts)

    def item_link(self, item: Publication) -> str:
        return reverse(
            "news:item", kwargs={"org_slug": item.organisation.slug, "publication_id": item.pk}
        )

    def item_guid(self, item: Publication) -> str:
        return f"tag:carepost,2026:{item.organisation.slug}:publication:{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Publication) -> Any:
        return item.published_at

    def item_updateddate(self, item: Publication) -> Any:
        return item.published_at
