"""The Bluesky connector against the fake PDS: the contract, and every fault we inject."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
import pytest
from PIL import Image

from carepost.posts.services import PhotoInput
from carepost.posts.tests.helpers import approved, photo
from carepost.publishing.connectors import registry
from carepost.publishing.connectors.base import ConnectorError, ErrorKind, RemoteState
from carepost.publishing.connectors.bluesky import connector as bluesky
from carepost.publishing.connectors.bluesky.connector import BlueskyConnector
from carepost.publishing.connectors.bluesky.tests.conftest import fake_control
from carepost.publishing.connectors.bluesky.text import TID_ALPHABET, tid_timestamp
from carepost.publishing.models import Channel, ChannelStatus, Publication, PublicationState
from carepost.publishing.services import publication_reconcile, publication_send
from fakeplatforms.bluesky import DEFAULT_APP_PASSWORD, DEFAULT_HANDLE
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db

CREATE = r"com\.atproto\.repo\.createRecord"


def publication_for(alice: Any, rita: Any, channel: Channel, text: str, **kw: Any) -> Publication:
    post = approved(alice, rita, channel, text=text, **kw)
    return Publication.objects.select_related("revision", "channel").get(post=post)


def noisy_png(width: int, height: int, seed: int = 1) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "PNG")
    return out.getvalue()


def fail(connector: BlueskyConnector, publication: Publication) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        connector.publish(publication)
    return caught.value


def posts(fake: RunningFake) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = fake.state()["posts"]
    return result


# -- publishing ---------------------------------------------------------------------------------
def test_publish_posts_the_text_with_link_and_hashtag_facets_at_utf8_byte_offsets(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    text = "Café día 🌻 at https://braeview.example/garden #SweetPeas"
    pub = publication_for(alice, rita, bluesky_channel, text)
    result = BlueskyConnector(bluesky_channel).publish(pub)

    [post] = posts(fake_pds)
    assert post["text"] == text
    raw = text.encode()
    spans = {
        raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in post["facets"]
    }
    assert spans["https://braeview.example/garden"]["uri"] == "https://braeview.example/garden"
    assert spans["#SweetPeas"]["tag"] == "SweetPeas"
    rkey = post["rkey"]
    assert result.external_id == f"at://{bluesky_channel.config['did']}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/{DEFAULT_HANDLE}/post/{rkey}"


def test_the_record_key_is_a_valid_tid_taken_from_the_publication(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Open day on Saturday.")
    rkey = BlueskyConnector.rkey_for(pub)
    assert len(rkey) == 13 and rkey[0] in TID_ALPHABET[:16]
    assert all(c in TID_ALPHABET for c in rkey)
    assert tid_timestamp(rkey) == int(pub.created_at.timestamp() * 1_000_000)
    assert BlueskyConnector(bluesky_channel).publish(pub).external_id.endswith("/" + rkey)


def test_mentions_resolve_to_dids_and_unknown_handles_stay_plain_text(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    text = "Thanks @friend.test and @nobody.test for the visit!"
    BlueskyConnector(bluesky_channel).publish(publication_for(alice, rita, bluesky_channel, text))
    [post] = posts(fake_pds)
    mentions = [f for f in post["facets"] if "did" in f["features"][0]]
    assert len(mentions) == 1
    index = mentions[0]["index"]
    assert text.encode()[index["byteStart"] : index["byteEnd"]] == b"@friend.test"
    assert mentions[0]["features"][0]["did"].startswith("did:plc:")


def test_publish_uploads_each_photo_with_its_alt_text(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(
        alice,
        rita,
        bluesky_channel,
        "Sweet peas and the new bench.",
        photos=[photo("Sweet peas in a raised bed"), photo("A wooden bench by the pond")],
    )
    BlueskyConnector(bluesky_channel).publish(pub)
    [post] = posts(fake_pds)
    assert post["images"] == 2
    assert post["alt"] == ["Sweet peas in a raised bed", "A wooden bench by the pond"]


def test_a_photo_over_the_blob_limit_is_made_smaller_and_still_goes_out(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    big = PhotoInput(alt_text="The garden in June", data=noisy_png(1400, 1000), name="g.png")
    pub = publication_for(alice, rita, bluesky_channel, "The garden in June.", photos=[big])
    assert len(pub.revision.photos.get().published_image()[0]) > 1_000_000
    BlueskyConnector(bluesky_channel).publish(pub)
    assert posts(fake_pds)[0]["images"] == 1


def test_a_blob_the_platform_finds_too_large_is_a_permanent_error(
    fake_pds: RunningFake,
    bluesky_channel: Channel,
    alice: Any,
    rita: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bluesky, "IMAGE_MAX_BYTES", 10_000_000)  # skip our own resizing
    big = PhotoInput(alt_text="The garden", data=noisy_png(1400, 1000), name="g.png")
    pub = publication_for(alice, rita, bluesky_channel, "The garden.", photos=[big])
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.PERMANENT
    assert "too large" in error.message
    assert posts(fake_pds) == []


def test_text_over_300_graphemes_is_refused_before_anything_is_sent(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Short enough to be approved.")
    # Approval checks the same limit; the connector checks again at sending time.
    pub.revision.text = "🌻" * 301
    before = fake_pds.state()["requests"]
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.PERMANENT
    assert "301" in error.message and "300" in error.message
    assert fake_pds.state()["requests"] == before


def test_exactly_300_graphemes_of_combined_characters_are_accepted(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    text = "🇬🇧é" * 150  # 300 graphemes, 600 code points, 1,350 bytes
    BlueskyConnector(bluesky_channel).publish(publication_for(alice, rita, bluesky_channel, text))
    assert posts(fake_pds)[0]["text"] == text


def test_text_over_3000_bytes_is_refused_even_within_300_graphemes(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Short enough to be approved.")
    pub.revision.text = "👩🏽‍🦰" * 250  # 250 graphemes, 3,750 bytes
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.PERMANENT
    assert "emoji" in error.message
    assert posts(fake_pds) == []


# -- idempotency and lost answers ---------------------------------------------------------------
def test_sending_the_same_publication_twice_makes_one_post(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    connector = BlueskyConnector(bluesky_channel)
    first = connector.publish(pub)
    second = connector.publish(pub)
    assert first == second
    assert len(posts(fake_pds)) == 1


def test_a_lost_answer_on_create_is_unknown_and_find_published_finds_the_post(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    connector = BlueskyConnector(bluesky_channel)
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "lose_response"})
    error = fail(connector, pub)
    assert error.kind == ErrorKind.UNKNOWN
    found = connector.find_published(pub)
    assert found is not None
    assert found.external_id.endswith("/" + BlueskyConnector.rkey_for(pub))
    # A resend (after a wrong reconciliation, say) can only hit the same record key.
    assert connector.publish(pub) == found
    assert len(posts(fake_pds)) == 1


def test_find_published_is_none_when_the_post_never_went_out(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    assert BlueskyConnector(bluesky_channel).find_published(pub) is None


def test_the_outbox_reconciles_a_lost_answer_without_a_second_post(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Summer fair raised £640.")
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "lose_response"})
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    Publication.objects.filter(pk=pub.pk).update(retry_at=None)  # the next check is due
    publication_reconcile(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert pub.url.startswith(f"https://bsky.app/profile/{DEFAULT_HANDLE}/post/")
    assert len(posts(fake_pds)) == 1


def test_a_different_post_under_the_same_record_key_is_never_taken_for_ours(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    connector = BlueskyConnector(bluesky_channel)
    other = publication_for(alice, rita, bluesky_channel, "Something else entirely.")
    other_rkey = BlueskyConnector.rkey_for(pub)
    # Force the other publication's record into our key, as a clash would.
    connector.rkey_for = lambda publication: other_rkey  # type: ignore[method-assign]
    connector.publish(other)
    assert connector.find_published(pub) is None
    error = fail(connector, pub)
    assert error.kind == ErrorKind.PERMANENT


# -- faults ---------------------------------------------------------------------------------------
def test_a_500_on_create_is_unknown(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "500"})
    assert fail(BlueskyConnector(bluesky_channel), pub).kind == ErrorKind.UNKNOWN
    assert posts(fake_pds) == []


@pytest.mark.parametrize("status", ["502", "503"])
def test_a_502_or_503_on_create_is_transient(
    status: str, fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": status})
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.TRANSIENT
    # Safe to retry: the next attempt goes out, once.
    BlueskyConnector(bluesky_channel).publish(pub)
    assert len(posts(fake_pds)) == 1


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_server_errors_on_reads_are_transient(
    status: str, fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    connector = BlueskyConnector(bluesky_channel)
    result = connector.publish(pub)
    fake_pds.faults({"method": "GET", "path": "getRecord", "fault": status, "times": 2})
    with pytest.raises(ConnectorError) as caught:
        connector.find_published(pub)
    assert caught.value.kind == ErrorKind.TRANSIENT
    with pytest.raises(ConnectorError) as caught:
        connector.status(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT


def test_rate_limiting_is_transient_with_the_wait_from_ratelimit_reset(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "429"})
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.TRANSIENT
    assert error.retry_after is not None and 1 <= error.retry_after <= 3  # reset = now + 3


def test_an_expired_access_token_is_refreshed_and_the_post_goes_out(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    fake_control(fake_pds, "/__bluesky/expire", {"refresh": False})
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    BlueskyConnector(bluesky_channel).publish(pub)
    assert len(posts(fake_pds)) == 1
    # The refreshed session is kept in memory: the next post needs no new login.
    requests = fake_pds.state()["requests"]
    pub2 = publication_for(alice, rita, bluesky_channel, "Bingo on Friday.")
    BlueskyConnector(bluesky_channel).publish(pub2)
    assert fake_pds.state()["requests"] == requests + 1  # just createRecord


def test_when_the_refresh_token_is_also_dead_it_logs_in_again_with_the_app_password(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    fake_control(fake_pds, "/__bluesky/expire", {"refresh": True})
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    BlueskyConnector(bluesky_channel).publish(pub)
    assert len(posts(fake_pds)) == 1


def test_a_revoked_app_password_is_an_auth_error_without_the_secret(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    fake_control(
        fake_pds,
        "/__bluesky/account",
        {"handle": DEFAULT_HANDLE, "password": "new-main", "app_password": "zzzz-zzzz-zzzz-zzzz"},
    )
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    error = fail(BlueskyConnector(bluesky_channel), pub)
    assert error.kind == ErrorKind.AUTH
    assert "Reconnect" in error.message
    assert DEFAULT_APP_PASSWORD not in error.message
    assert posts(fake_pds) == []


def test_401_on_every_call_ends_as_auth_after_refresh_and_login_fail(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "POST", "fault": "401", "times": -1})
    assert fail(BlueskyConnector(bluesky_channel), pub).kind == ErrorKind.AUTH


def test_one_401_on_create_is_retried_after_renewing_the_session(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "401", "times": 1})
    BlueskyConnector(bluesky_channel).publish(pub)
    assert len(posts(fake_pds)) == 1


def test_the_outbox_pauses_the_channel_on_auth_and_keeps_the_post_queued(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    fake_control(
        fake_pds,
        "/__bluesky/account",
        {"handle": DEFAULT_HANDLE, "password": "new-main", "app_password": "zzzz-zzzz-zzzz-zzzz"},
    )
    fake_control(fake_pds, "/__bluesky/expire", {"refresh": True})
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    bluesky_channel.refresh_from_db()
    assert pub.state == PublicationState.QUEUED
    assert bluesky_channel.status == ChannelStatus.NEEDS_REAUTH


def test_a_create_slower_than_the_timeout_is_unknown_then_found(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any, settings: Any
) -> None:
    settings.CAREPOST_CONNECTOR_TIMEOUT = 1
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    connector = BlueskyConnector(bluesky_channel)
    fake_pds.faults({"method": "POST", "path": CREATE, "fault": "slow", "seconds": 1.5})
    started = time.monotonic()
    error = fail(connector, pub)
    assert error.kind == ErrorKind.UNKNOWN
    assert time.monotonic() - started < 1.4
    deadline = time.monotonic() + 5
    found = None
    while found is None and time.monotonic() < deadline:
        time.sleep(0.1)
        found = connector.find_published(pub)
    assert found is not None
    assert len(posts(fake_pds)) == 1


def test_a_read_slower_than_the_timeout_is_transient(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any, settings: Any
) -> None:
    settings.CAREPOST_CONNECTOR_TIMEOUT = 1
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    fake_pds.faults({"method": "GET", "path": "getRecord", "fault": "slow", "seconds": 1.5})
    with pytest.raises(ConnectorError) as caught:
        BlueskyConnector(bluesky_channel).find_published(pub)
    assert caught.value.kind == ErrorKind.TRANSIENT


def test_a_server_that_cannot_be_reached_is_transient(
    bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    bluesky_channel.config = {**bluesky_channel.config, "service_url": "http://127.0.0.1:9"}
    pub = publication_for(alice, rita, bluesky_channel, "Coffee morning at ten.")
    assert fail(BlueskyConnector(bluesky_channel), pub).kind == ErrorKind.TRANSIENT


# -- delete and status ----------------------------------------------------------------------------
def test_delete_removes_the_post_and_a_second_delete_finds_it_already_gone(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    connector = BlueskyConnector(bluesky_channel)
    result = connector.publish(publication_for(alice, rita, bluesky_channel, "Quiz night."))
    assert connector.status(result.external_id) == RemoteState.LIVE
    assert connector.delete(result.external_id).outcome == "deleted"
    assert posts(fake_pds) == [] and fake_pds.state()["deleted"] == 1
    assert connector.status(result.external_id) == RemoteState.GONE
    assert connector.delete(result.external_id).outcome == "already_gone"


def test_delete_with_a_lost_answer_is_transient_and_safe_to_repeat(
    fake_pds: RunningFake, bluesky_channel: Channel, alice: Any, rita: Any
) -> None:
    connector = BlueskyConnector(bluesky_channel)
    result = connector.publish(publication_for(alice, rita, bluesky_channel, "Quiz night."))
    fake_pds.faults({"method": "POST", "path": "deleteRecord", "fault": "lose_response"})
    with pytest.raises(ConnectorError) as caught:
        connector.delete(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT
    assert connector.delete(result.external_id).outcome == "already_gone"


def test_the_registry_serves_this_connector_with_blueskys_limits() -> None:
    limits = registry.limits_for("bluesky")
    assert (limits.text_max, limits.text_unit, limits.max_images) == (300, "graphemes", 4)
    assert limits.image_max_bytes == 1_000_000
    assert "may keep a copy" in limits.deletion_note
