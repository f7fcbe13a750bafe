"""The real outbox sending approved posts to a Facebook Page (the fake), end to end."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.publishing.channel_services import channel_connect
from carepost.publishing.connectors.facebook.tests.conftest import (
    THISTLE_PAGE,
    VERSION,
    page_tokens,
)
from carepost.publishing.models import Channel, Publication, PublicationState
from carepost.publishing.services import (
    publication_send,
    publication_take_down,
    publication_take_down_execute,
)
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(fake: RunningFake, rita: Any) -> Channel:
    return channel_connect(
        membership=rita,
        kind="facebook",
        name="Thistle Facebook",
        config={"page_id": THISTLE_PAGE, "page_name": "Thistle Care", "graph_version": VERSION},
        credentials={"page_access_token": page_tokens(fake)[THISTLE_PAGE]},
    )


def test_an_approved_post_with_photos_goes_out_with_exactly_its_clean_copies(
    fake: RunningFake, page: Channel, alice: Any, rita: Any
) -> None:
    from carepost.posts.tests.helpers import approved, photo

    post = approved(alice, rita, page, text="Our day at the beach.", photos=[photo(), photo("B")])
    publication = Publication.objects.get(post=post, channel=page)
    publication_send(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == PublicationState.PUBLISHED, publication.last_error
    (remote,) = fake.state()["posts"]
    assert remote["id"] == publication.external_id
    assert remote["text"] == "Our day at the beach."
    expected = [
        hashlib.sha256(p.published_image()[0]).hexdigest()
        for p in publication.revision.photos.all()
    ]
    assert remote["photo_sha256"] == expected
    assert publication.url.startswith("https://www.facebook.com/")


def test_a_lost_response_is_reconciled_without_sending_twice(
    fake: RunningFake, page: Channel, alice: Any, rita: Any
) -> None:
    from carepost.posts.tests.helpers import approved
    from carepost.publishing import services

    post = approved(alice, rita, page, text="Lost, then found.")
    publication = Publication.objects.get(post=post, channel=page)
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "lose_response", "times": 1})
    publication_send(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == PublicationState.UNKNOWN
    # Later, the sweep asks Facebook instead of sending again.
    Publication.objects.filter(pk=publication.pk).update(
        retry_at=timezone.now() - timedelta(seconds=1)
    )
    services.publication_reconcile(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == PublicationState.PUBLISHED
    (remote,) = fake.state()["posts"]
    assert remote["id"] == publication.external_id


def test_taking_a_post_down_deletes_it_from_the_page(
    fake: RunningFake, page: Channel, alice: Any, rita: Any
) -> None:
    from carepost.posts.tests.helpers import approved

    post = approved(alice, rita, page, text="Soon gone.")
    publication = Publication.objects.get(post=post, channel=page)
    publication_send(publication_id=publication.pk)
    publication.refresh_from_db()
    publication_take_down(membership=rita, publication=publication, reason="Consent withdrawn")
    publication_take_down_execute(publication_id=publication.pk)
    publication.refresh_from_db()
    assert publication.state == PublicationState.TAKEN_DOWN
    state = fake.state()
    assert state["posts"] == [] and state["deleted"] == 1
