"""The fake Mastodon server in its own process, and a channel connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from carepost.publishing.channel_services import channel_connect
from carepost.publishing.models import Channel
from fakeplatforms.mastodon import ACCOUNT_ID, USERNAME, authorise
from fakeplatforms.testing import RunningFake, running


@pytest.fixture(scope="session")
def fake_server() -> Iterator[RunningFake]:
    with running("mastodon") as fake:
        yield fake


@pytest.fixture
def fake(fake_server: RunningFake, settings: Any) -> RunningFake:
    """A fresh fake (no apps, tokens, posts or faults) that Carepost may talk to."""
    fake_server.reset()
    settings.CAREPOST_ALLOW_INSECURE_INSTANCES = True
    settings.DEBUG = False
    return fake_server


@pytest.fixture
def channel(fake: RunningFake, rita: Any) -> Channel:
    """A Mastodon channel holding a real token issued by the fake."""
    credentials = authorise(fake.url)
    return channel_connect(
        membership=rita,
        kind="mastodon",
        name="Thistle Mastodon",
        config={
            "instance_url": fake.url,
            "account": f"@{USERNAME}@127.0.0.1:{fake.port}",
            "account_id": ACCOUNT_ID,
            "visibility": "unlisted",
        },
        credentials=credentials,
    )
