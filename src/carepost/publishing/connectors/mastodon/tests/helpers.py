"""Builders for the Mastodon connector tests."""

from __future__ import annotations

from typing import Any

import httpx

from carepost.posts.tests.helpers import approved
from carepost.publishing.models import Channel, Publication
from fakeplatforms.testing import RunningFake


def publication_for(author: Any, reviewer: Any, channel: Channel, **kw: Any) -> Publication:
    post = approved(author, reviewer, channel, **kw)
    return Publication.objects.get(post=post)


def media_in_background(fake: RunningFake) -> None:
    """From now on the fake answers uploads with 202 and makes the connector wait."""
    answer = httpx.post(f"{fake.url}/__config", json={"media_in_background": True})
    assert answer.json() == {"media_in_background": True}
