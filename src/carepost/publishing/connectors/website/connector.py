"""The organisation's own website news page and Atom feed.

The news page is rendered by Carepost from the outbox itself, so "publishing" is the
outbox row becoming `published`, and deleting is the take-down being recorded: both
take effect the moment the row changes. The connector still honours the contract so
the outbox treats every channel alike.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from carepost.publishing.connectors.base import DeleteResult, Limits, PublishResult, RemoteState
from carepost.publishing.models import Channel, Publication, PublicationState


class WebsiteConnector:
    limits = Limits(
        text_max=10_000,
        max_images=10,
        deletion_note=(
            "Taking a post down removes it from the news page and the feed at once. "
            "Feed readers that already fetched it may keep their copy."
        ),
    )

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def publish(self, publication: Publication) -> PublishResult:
        path = reverse(
            "news:item",
            kwargs={"org_slug": self.channel.organisation.slug, "publication_id": publication.pk},
        )
        return PublishResult(external_id=str(publication.pk), url=settings.SITE_URL + path)

    def delete(self, external_id: str) -> DeleteResult:
        return DeleteResult(outcome="deleted", detail="Removed from the news page and the feed.")

    def status(self, external_id: str) -> RemoteState:
        live = Publication.objects.filter(
            pk=external_id,
            channel=self.channel,
            state=PublicationState.PUBLISHED,
            take_down_requested_at__isnull=True,
        ).exists()
        return RemoteState.LIVE if live else RemoteState.GONE

    def find_published(self, publication: Publication) -> PublishResult | None:
        """Publishing here is deterministic and local, so an unknown send can be completed."""
        return self.publish(publication)
