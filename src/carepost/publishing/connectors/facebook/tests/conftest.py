"""The fake Facebook in its own process, settings pointed at it, and a connected Page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from fakeplatforms import facebook as fake_facebook
from fakeplatforms.testing import RunningFake, running

THISTLE_PAGE = fake_facebook.PAGES[0][0]
DAY_SERVICE_PAGE = fake_facebook.PAGES[1][0]
VERSION = "v24.0"


@pytest.fixture(scope="session")
def fake_server() -> Iterator[RunningFake]:
    with running("facebook") as fake:
        yield fake


@pytest.fixture
def fake(fake_server: RunningFake, settings: Any) -> RunningFake:
    """A clean fake, with Carepost's Facebook settings pointing at it."""
    fake_server.reset()
    settings.CAREPOST_FACEBOOK_APP_ID = fake_facebook.APP_ID
    settings.CAREPOST_FACEBOOK_APP_SECRET = fake_facebook.APP_SECRET
    settings.CAREPOST_FACEBOOK_GRAPH_URL = fake_server.url
    settings.CAREPOST_FACEBOOK_DIALOG_URL = fake_server.url
    settings.CAREPOST_FACEBOOK_GRAPH_VERSION = VERSION
    settings.CAREPOST_CONNECTOR_TIMEOUT = 5
    return fake_server


def allow_in_dialog(dialog_url: str, decision: str = "allow") -> str:
    """What a person does on Facebook's login dialog: returns where it redirects to."""
    page = httpx.get(dialog_url)
    assert page.status_code == 200, page.text
    query = {k: v[-1] for k, v in parse_qs(urlsplit(dialog_url).query).items()}
    answer = httpx.post(
        dialog_url.split("?")[0],
        data={
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "state": query.get("state", ""),
            "scope": query.get("scope", ""),
            "decision": decision,
        },
    )
    assert answer.status_code == 302
    return answer.headers["location"]


def page_tokens(fake: RunningFake) -> dict[str, str]:
    """Page id -> Page token, obtained the documented way (dialog, code, exchanges)."""
    redirect_uri = "http://127.0.0.1:9/callback/"
    dialog = (
        f"{fake.url}/{VERSION}/dialog/oauth?client_id={fake_facebook.APP_ID}"
        f"&redirect_uri={redirect_uri}&state=s&scope=pages_manage_posts"
    )
    code = parse_qs(urlsplit(allow_in_dialog(dialog)).query)["code"][0]
    graph = f"{fake.url}/{VERSION}"
    secret = {"client_id": fake_facebook.APP_ID, "client_secret": fake_facebook.APP_SECRET}
    short = httpx.get(
        f"{graph}/oauth/access_token", params={**secret, "redirect_uri": redirect_uri, "code": code}
    ).json()["access_token"]
    long = httpx.get(
        f"{graph}/oauth/access_token",
        params={**secret, "grant_type": "fb_exchange_token", "fb_exchange_token": short},
    ).json()["access_token"]
    pages = httpx.get(f"{graph}/me/accounts", headers={"Authorization": f"Bearer {long}"}).json()[
        "data"
    ]
    return {p["id"]: p["access_token"] for p in pages}


def channel_for(page_id: str, token: str) -> Any:
    """An (unsaved) Facebook channel: connectors only read its config and credentials."""
    from carepost.publishing.models import Channel

    channel = Channel(
        kind="facebook",
        name="Thistle Facebook",
        config={"page_id": page_id, "page_name": "Thistle Care", "graph_version": VERSION},
    )
    channel.set_credentials({"page_access_token": token})
    return channel


@pytest.fixture
def facebook_channel(fake: RunningFake) -> Any:
    return channel_for(THISTLE_PAGE, page_tokens(fake)[THISTLE_PAGE])
