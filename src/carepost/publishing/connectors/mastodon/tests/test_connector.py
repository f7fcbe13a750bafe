"""The real Mastodon connector against the fake server in its own process."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.utils import timezone
from mastodon.errors import (
    MastodonAPIError,
    MastodonGatewayTimeoutError,
    MastodonNetworkError,
    MastodonServerError,
)

from carepost.posts.models import PostRevision
from carepost.posts.tests.helpers import photo
from carepost.publishing.connectors.base import (
    ConnectorError,
    ErrorKind,
    RemoteState,
)
from carepost.publishing.connectors.mastodon import connector as connector_module
from carepost.publishing.connectors.mastodon.connector import (
    MastodonConnector,
    comparable,
    idempotency_key,
    plain_text,
)
from carepost.publishing.connectors.mastodon.tests.helpers import (
    media_in_background,
    publication_for,
)
from carepost.publishing.connectors.registry import connector_for
from carepost.publishing.models import Channel, ChannelStatus, Publication, PublicationState
from carepost.publishing.services import publication_send
from fakeplatforms.testing import RunningFake

pytestmark = pytest.mark.django_db

TEXT = "Our garden club planted sweet peas today. #gardening https://example.org/garden-club"


def posts(fake: RunningFake) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = fake.state()["posts"]
    return result


def test_the_registry_serves_mastodon_channels_with_this_connector(channel: Channel) -> None:
    assert isinstance(connector_for(channel), MastodonConnector)


def test_publishing_text_creates_one_status_with_the_channels_visibility(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, text=TEXT)
    result = MastodonConnector(channel).publish(pub)
    [post] = posts(fake)
    assert post["text"] == TEXT
    assert post["visibility"] == "unlisted"
    assert post["media"] == 0
    assert post["idempotency_key"] == f"carepost-{pub.pk}-{pub.revision_id}"
    assert result.external_id == post["id"]
    assert result.url == f"{fake.url}/@thistlecare/{post['id']}"


def test_publishing_photos_sends_the_exact_bytes_with_their_alt_text(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(
        alice,
        rita,
        channel,
        photos=[photo("Sweet peas in a raised bed"), photo("Two trowels on the potting bench")],
    )
    photos = list(pub.revision.photos.all())
    MastodonConnector(channel).publish(pub)
    [post] = posts(fake)
    assert post["media"] == 2
    assert post["alt"] == ["Sweet peas in a raised bed", "Two trowels on the potting bench"]
    assert post["media_sha256"] == [
        hashlib.sha256(p.published_image()[0]).hexdigest() for p in photos
    ]


def test_photos_processed_in_the_background_are_waited_for(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    # Each upload answers 202 with no url, then 206 once: posting before the server has
    # finished would be refused (422), so the connector polls the media first.
    media_in_background(fake)
    pub = publication_for(alice, rita, channel, photos=[photo()])
    MastodonConnector(channel).publish(pub)
    [post] = posts(fake)
    assert post["media"] == 1 and post["alt"] == ["Sweet peas in a raised bed"]


def test_sending_again_with_the_same_idempotency_key_makes_no_duplicate(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    first = MastodonConnector(channel).publish(pub)
    second = MastodonConnector(channel).publish(pub)
    assert second == first
    assert len(posts(fake)) == 1


def test_a_lost_response_is_unknown_then_found_without_a_duplicate(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, text=TEXT)
    fake.faults({"method": "POST", "path": "^/api/v1/statuses$", "fault": "lose_response"})
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    found = MastodonConnector(channel).find_published(pub)
    [post] = posts(fake)
    assert found is not None and found.external_id == post["id"]
    # Even a blind resend (same Idempotency-Key) gives back the same status.
    assert MastodonConnector(channel).publish(pub) == found
    assert len(posts(fake)) == 1


def test_find_published_says_not_sent_when_nothing_went_out_recently(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, text=TEXT)
    other = publication_for(alice, rita, channel, text="A different post about the bake sale.")
    MastodonConnector(channel).publish(other)
    fake.faults({"method": "POST", "path": "^/api/v1/statuses$", "fault": "500"})
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    assert MastodonConnector(channel).find_published(pub) is None
    MastodonConnector(channel).publish(pub)  # what the outbox does next
    assert sorted(p["text"] for p in posts(fake)) == sorted([TEXT, other.revision.text])


def test_find_published_asks_a_person_once_the_idempotency_window_has_passed(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    Publication.objects.filter(pk=pub.pk).update(
        state=PublicationState.UNKNOWN, claimed_at=timezone.now() - timedelta(minutes=56)
    )
    pub.refresh_from_db()
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(channel).find_published(pub)
    assert caught.value.kind == ErrorKind.UNKNOWN
    assert "Please look at the account" in caught.value.message
    assert "@thistlecare@" in caught.value.message


def test_find_published_pages_through_a_busy_account(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, text=TEXT)
    Publication.objects.filter(pk=pub.pk).update(claimed_at=timezone.now())
    pub.refresh_from_db()
    token = channel.credentials["access_token"]
    for n in range(90):  # three pages of other posts, each also older than ours
        answer = httpx.post(
            f"{fake.url}/api/v1/statuses",
            data={"status": f"Menu for day {n}"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200
    result = MastodonConnector(channel).publish(pub)
    assert MastodonConnector(channel).find_published(pub) == result


def test_find_published_ignores_posts_from_before_the_send(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, text=TEXT)
    MastodonConnector(channel).publish(pub)
    later = timezone.now() + timedelta(minutes=10)
    Publication.objects.filter(pk=pub.pk).update(claimed_at=later)
    pub.refresh_from_db()
    assert MastodonConnector(channel).find_published(pub) is None


def test_text_is_compared_without_html_or_spacing() -> None:
    content = (
        '<p>Hello &amp; welcome <a href="https://x.example/tags/tea" class="mention hashtag">'
        '#<span>tea</span></a><br />see <span class="h-card"><a href="https://y.example/@ann">'
        "@<span>ann</span></a></span></p><p>Bye</p>"
    )
    assert comparable(plain_text(content)) == comparable(
        "Hello & welcome #tea\nsee @ann@y.example\n\nBye"
    )


def test_delete_removes_the_status_and_a_second_delete_finds_it_already_gone(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    connector = MastodonConnector(channel)
    result = connector.publish(pub)
    assert connector.status(result.external_id) == RemoteState.LIVE
    assert connector.delete(result.external_id).outcome == "deleted"
    assert connector.status(result.external_id) == RemoteState.GONE
    assert connector.delete(result.external_id).outcome == "already_gone"
    assert fake.state()["deleted"] == 1 and posts(fake) == []


def test_a_lost_delete_response_is_retried_and_then_already_gone(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    connector = MastodonConnector(channel)
    result = connector.publish(pub)
    fake.faults({"method": "DELETE", "fault": "lose_response"})
    with pytest.raises(ConnectorError) as caught:
        connector.delete(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT
    assert connector.delete(result.external_id).outcome == "already_gone"


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", ErrorKind.UNKNOWN),
        ("502", ErrorKind.TRANSIENT),
        ("503", ErrorKind.TRANSIENT),
        ("429", ErrorKind.TRANSIENT),
        ("401", ErrorKind.AUTH),
        ("lose_response", ErrorKind.UNKNOWN),
    ],
)
def test_each_fault_on_create_means_the_right_thing(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any, fault: str, kind: ErrorKind
) -> None:
    pub = publication_for(alice, rita, channel)
    fake.faults({"method": "POST", "path": "^/api/v1/statuses$", "fault": fault})
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(channel).publish(pub)
    assert caught.value.kind == kind
    assert channel.credentials["access_token"] not in caught.value.message
    if fault == "429":
        assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 3
    else:
        assert caught.value.retry_after is None


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        ("500", ErrorKind.TRANSIENT),
        ("502", ErrorKind.TRANSIENT),
        ("503", ErrorKind.TRANSIENT),
        ("429", ErrorKind.TRANSIENT),
        ("401", ErrorKind.AUTH),
    ],
)
def test_each_fault_on_delete_and_status_means_the_right_thing(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any, fault: str, kind: ErrorKind
) -> None:
    pub = publication_for(alice, rita, channel)
    connector = MastodonConnector(channel)
    external_id = connector.publish(pub).external_id
    fake.faults({"path": "^/api/v1/statuses/", "fault": fault, "times": 2})
    with pytest.raises(ConnectorError) as deleting:
        connector.delete(external_id)
    with pytest.raises(ConnectorError) as checking:
        connector.status(external_id)
    assert deleting.value.kind == kind and checking.value.kind == kind
    assert len(posts(fake)) == 1


def test_a_failed_photo_upload_is_safe_to_retry(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel, photos=[photo()])
    fake.faults({"method": "POST", "path": "/media$", "fault": "500"})
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(channel).publish(pub)
    assert caught.value.kind == ErrorKind.TRANSIENT
    assert posts(fake) == []


def test_a_slow_server_past_the_timeout_is_unknown_on_create_and_transient_on_delete(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any, settings: Any
) -> None:
    settings.CAREPOST_CONNECTOR_TIMEOUT = 1
    pub = publication_for(alice, rita, channel)
    connector = MastodonConnector(channel)
    external_id = connector.publish(pub).external_id
    other = publication_for(alice, rita, channel, text="Coffee morning on Friday at ten.")
    fake.faults({"path": "^/api/v1/statuses", "fault": "slow", "seconds": 1.6, "times": 2})
    with pytest.raises(ConnectorError) as creating:
        connector.publish(other)
    with pytest.raises(ConnectorError) as deleting:
        connector.delete(external_id)
    assert creating.value.kind == ErrorKind.UNKNOWN
    assert deleting.value.kind == ErrorKind.TRANSIENT


def test_text_over_the_servers_limit_fails_with_its_reason(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    # As if the approved text were over this server's limit (Carepost checks 500 first).
    PostRevision.objects.filter(pk=pub.revision_id).update(text="Sweet peas. " * 50)
    pub.refresh_from_db()
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(channel).publish(pub)
    assert caught.value.kind == ErrorKind.PERMANENT
    assert "character limit of 500 exceeded" in caught.value.message
    assert posts(fake) == []


def test_a_rejected_token_pauses_the_channel_and_keeps_the_post_waiting(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    fake.reset()  # the server forgets every token
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    channel.refresh_from_db()
    assert pub.state == PublicationState.QUEUED
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert "reconnect" in channel.status_reason


def test_the_idempotency_key_is_stable_per_publication_and_revision(
    channel: Channel, alice: Any, rita: Any
) -> None:
    pub = publication_for(alice, rita, channel)
    assert idempotency_key(pub) == idempotency_key(Publication.objects.get(pk=pub.pk))
    assert idempotency_key(pub) == f"carepost-{pub.pk}-{pub.revision_id}"


def test_photos_still_processing_after_the_wait_are_retried_later(
    fake: RunningFake, channel: Channel, alice: Any, rita: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connector_module, "MEDIA_WAIT_SECONDS", 0.1)
    media_in_background(fake)
    pub = publication_for(alice, rita, channel, photos=[photo()])
    with pytest.raises(ConnectorError) as caught:
        MastodonConnector(channel).publish(pub)
    assert caught.value.kind == ErrorKind.TRANSIENT and caught.value.retry_after == 60
    assert posts(fake) == []


@pytest.mark.parametrize(
    ("error", "creating", "kind"),
    [
        (
            MastodonGatewayTimeoutError("Mastodon API returned error", 504, "", None),
            True,
            ErrorKind.UNKNOWN,
        ),
        (
            MastodonGatewayTimeoutError("Mastodon API returned error", 504, "", None),
            False,
            ErrorKind.TRANSIENT,
        ),
        (
            MastodonServerError("Mastodon API returned error", 507, "", None),
            True,
            ErrorKind.UNKNOWN,
        ),
        (
            MastodonAPIError(
                "Mastodon API returned error",
                403,
                "",
                "This action is outside the authorized scopes",
            ),
            True,
            ErrorKind.PERMANENT,
        ),
        (MastodonAPIError("Mastodon API returned error", 408, "", None), True, ErrorKind.TRANSIENT),
        (MastodonAPIError("Could not parse response as JSON"), True, ErrorKind.UNKNOWN),
        (MastodonAPIError("Could not parse response as JSON"), False, ErrorKind.TRANSIENT),
        (MastodonNetworkError("Could not complete request"), True, ErrorKind.UNKNOWN),
        (MastodonNetworkError("Could not complete request"), False, ErrorKind.TRANSIENT),
    ],
)
def test_errors_without_a_fault_switch_are_mapped_too(
    channel: Channel, error: Exception, creating: bool, kind: ErrorKind
) -> None:
    mapped = MastodonConnector(channel)._error(error, creating=creating, doing="publish the post")
    assert mapped.kind == kind
