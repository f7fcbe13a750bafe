"""Contract tests against Bluesky's own reference PDS (@atproto/dev-env), on loopback.

The `real_pds` fixture installs it with tools/pds/setup.sh when needed and FAILS (never
skips) when it cannot: these tests are the proof that the connector works with the
real server, not only with our fake of it.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image

from carepost.posts.services import PhotoInput
from carepost.posts.tests.helpers import approved, photo
from carepost.publishing.connectors.base import RemoteState
from carepost.publishing.connectors.bluesky.connector import BlueskyConnector
from carepost.publishing.connectors.bluesky.tests.conftest import RealPds
from carepost.publishing.models import Channel, Publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_channel(real_pds: RealPds, rita: Any, client: Client) -> Channel:
    """Connected the way a reviewer does it: the connect form, checked against the PDS."""
    client.force_login(rita.user)
    response = client.post(
        reverse("channels_bluesky:connect"),
        {
            "name": "Braeview on Bluesky",
            "handle": "@" + real_pds.handle,
            "app_password": real_pds.app_password,
            "service_url": real_pds.url,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Channel.objects.get(organisation=rita.organisation, kind="bluesky")


def publication_for(alice: Any, rita: Any, channel: Channel, text: str, **kw: Any) -> Publication:
    post = approved(alice, rita, channel, text=text, **kw)
    return Publication.objects.select_related("revision", "channel").get(post=post)


def record(pds: RealPds, external_id: str) -> dict[str, Any]:
    did, collection, rkey = external_id.removeprefix("at://").split("/")
    result: dict[str, Any] = pds.xrpc(
        "GET", "com.atproto.repo.getRecord", repo=did, collection=collection, rkey=rkey
    )
    return result


def listed_uris(pds: RealPds) -> list[str]:
    found = pds.xrpc(
        "GET",
        "com.atproto.repo.listRecords",
        repo=pds.did,
        collection="app.bsky.feed.post",
        limit="100",
    )
    return [r["uri"] for r in found["records"]]


def test_connecting_creates_a_session_and_stores_the_account(
    real_pds: RealPds, real_channel: Channel
) -> None:
    assert real_channel.config["did"] == real_pds.did
    assert real_channel.config["handle"] == real_pds.handle
    assert real_channel.config["account"] == f"@{real_pds.handle}"
    secrets = real_channel.credentials
    assert secrets["app_password"] == real_pds.app_password
    assert secrets["access_jwt"] and secrets["refresh_jwt"]


def test_the_main_password_is_refused_by_the_connect_form(
    real_pds: RealPds, rita: Any, client: Client
) -> None:
    client.force_login(rita.user)
    response = client.post(
        reverse("channels_bluesky:connect"),
        {
            "name": "Braeview on Bluesky",
            "handle": real_pds.handle,
            "app_password": real_pds.password,
            "service_url": real_pds.url,
        },
    )
    assert response.status_code == 400
    assert "main password" in response.content.decode()
    assert not Channel.objects.filter(kind="bluesky").exists()


def test_publish_text_with_a_link_and_a_hashtag(
    real_pds: RealPds, real_channel: Channel, alice: Any, rita: Any
) -> None:
    text = "Ceilidh at Braeview ✨ tickets: https://braeview.example/ceilidh #Ceilidh"
    result = BlueskyConnector(real_channel).publish(
        publication_for(alice, rita, real_channel, text)
    )
    value = record(real_pds, result.external_id)["value"]
    assert value["text"] == text
    raw = text.encode()
    features = {
        raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in value["facets"]
    }
    assert features["https://braeview.example/ceilidh"]["$type"] == "app.bsky.richtext.facet#link"
    assert features["#Ceilidh"] == {"$type": "app.bsky.richtext.facet#tag", "tag": "Ceilidh"}
    assert result.url.startswith(f"https://bsky.app/profile/{real_pds.handle}/post/")


def test_publish_two_photos_with_alt_text_one_made_to_fit_the_blob_limit(
    real_pds: RealPds, real_channel: Channel, alice: Any, rita: Any
) -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (1000, 1400, 3), dtype=np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(png, "PNG")
    pub = publication_for(
        alice,
        rita,
        real_channel,
        "Sweet peas, and the garden from above.",
        photos=[
            photo("Sweet peas in a raised bed"),
            PhotoInput(alt_text="The garden from above", data=png.getvalue(), name="g.png"),
        ],
    )
    result = BlueskyConnector(real_channel).publish(pub)
    embed = record(real_pds, result.external_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in embed["images"]] == [
        "Sweet peas in a raised bed",
        "The garden from above",
    ]
    first, second = embed["images"]
    assert (first["aspectRatio"]["width"], first["aspectRatio"]["height"]) == (64, 48)
    assert second["image"]["mimeType"] == "image/jpeg"
    assert second["image"]["size"] <= 1_000_000
    ratio = second["aspectRatio"]["width"] / second["aspectRatio"]["height"]
    assert abs(ratio - 1.4) < 0.01


def test_find_published_and_a_resend_return_the_same_post_once(
    real_pds: RealPds, real_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, real_channel, "Bingo on Friday at two.")
    connector = BlueskyConnector(real_channel)
    assert connector.find_published(pub) is None
    result = connector.publish(pub)
    assert connector.find_published(pub) == result
    # The real PDS refuses the taken record key; the connector sees its own post there.
    assert connector.publish(pub) == result
    assert listed_uris(real_pds).count(result.external_id) == 1


def test_status_and_delete(real_pds: RealPds, real_channel: Channel, alice: Any, rita: Any) -> None:
    connector = BlueskyConnector(real_channel)
    result = connector.publish(publication_for(alice, rita, real_channel, "Quiz night tonight."))
    assert connector.status(result.external_id) == RemoteState.LIVE
    assert result.external_id in listed_uris(real_pds)
    assert connector.delete(result.external_id).outcome == "deleted"
    assert result.external_id not in listed_uris(real_pds)
    assert connector.status(result.external_id) == RemoteState.GONE
    assert connector.delete(result.external_id).outcome == "already_gone"
