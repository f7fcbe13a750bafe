"""Test helpers: a connector whose answers the test decides (see conftest.py's `scripted`)."""

from __future__ import annotations

from collections.abc import Callable

from carepost.posts.models import Post
from carepost.publishing.connectors.base import (
    ConnectorError,
    DeleteResult,
    Limits,
    PublishResult,
)
from carepost.publishing.models import Channel, Publication


class ScriptedConnector:
    """A connector whose next answers the test decides."""

    limits = Limits(text_max=500, max_images=4, deletion_note="Scripted deletion note.")
    publish_error: ConnectorError | None = None
    delete_error: ConnectorError | None = None
    delete_outcome = "deleted"
    # What find_published answers: a result, None ("it did not go out") or an error.
    find_answer: PublishResult | ConnectorError | None = None
    # Something that happens while the platform is answering (e.g. a take-down request).
    during_publish: Callable[[Publication], None] | None = None
    calls: list[str] = []

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def find_published(self, publication: Publication) -> PublishResult | None:
        ScriptedConnector.calls.append(f"find {publication.pk}")
        if isinstance(ScriptedConnector.find_answer, ConnectorError):
            raise ScriptedConnector.find_answer
        return ScriptedConnector.find_answer

    def publish(self, publication: Publication) -> PublishResult:
        ScriptedConnector.calls.append(f"publish {publication.pk}")
        if ScriptedConnector.during_publish:
            ScriptedConnector.during_publish(publication)
        if ScriptedConnector.publish_error:
            raise ScriptedConnector.publish_error
        return PublishResult(
            external_id=f"ext-{publication.pk}", url=f"https://social.example/{publication.pk}"
        )

    def delete(self, external_id: str) -> DeleteResult:
        ScriptedConnector.calls.append(f"delete {external_id}")
        if ScriptedConnector.delete_error:
            raise ScriptedConnector.delete_error
        return DeleteResult(outcome=ScriptedConnector.delete_outcome, detail="")


def only_publication(post: Post) -> Publication:
    return Publication.objects.get(post=post)
