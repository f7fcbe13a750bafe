"""The Facebook Page connector against the fake Graph API, running in its own process."""

from __future__ import annotations

import hashlib
import io
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from django.utils import timezone
from PIL import Image

from carepost.publishing.connectors.base import ConnectorError, ErrorKind, RemoteState
from carepost.publishing.connectors.facebook.connector import FacebookConnector
from carepost.publishing.connectors.facebook.tests.conftest import (
    DAY_SERVICE_PAGE,
    THISTLE_PAGE,
    channel_for,
    page_tokens,
)
from fakeplatforms.testing import RunningFake

_ids = itertools.count(1)


def jpeg(colour: tuple[int, int, int] = (120, 160, 90), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", quality=90)
    return out.getvalue()


@dataclass
class StandInPhoto:
    """What the connector reads from a RevisionPhoto."""

    position: int
    data: bytes
    alt_text: str = "A photo"
    content_type: str = "image/jpeg"

    def published_image(self) -> tuple[bytes, str]:
        return self.data, self.content_type


@dataclass
class StandInPhotos:
    items: list[StandInPhoto]

    def all(self) -> list[StandInPhoto]:
        return list(self.items)


@dataclass
class StandInRevision:
    text: str
    photos: StandInPhotos


@dataclass
class StandInPublication:
    """The fields of a Publication the connector uses (no database needed)."""

    revision: StandInRevision
    pk: int = field(default_factory=lambda: next(_ids))
    created_at: datetime = field(default_factory=lambda: timezone.now() - timedelta(seconds=5))
    claimed_at: datetime | None = field(default_factory=timezone.now)
    attempts: int = 1


def publication(text: str, *photos: bytes, claimed_ago: timedelta | None = None) -> Any:
    pub = StandInPublication(
        StandInRevision(
            text, StandInPhotos([StandInPhoto(i, data) for i, data in enumerate(photos)])
        )
    )
    if claimed_ago is not None:
        pub.claimed_at = timezone.now() - claimed_ago
        pub.created_at = pub.claimed_at - timedelta(seconds=1)
    return cast(Any, pub)


def connector(channel: Any) -> FacebookConnector:
    return FacebookConnector(channel)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- publishing ---------------------------------------------------------------------


def test_text_post_goes_to_the_page_feed(fake: RunningFake, facebook_channel: Any) -> None:
    result = connector(facebook_channel).publish(publication("Our garden club met today."))
    posts = fake.state()["posts"]
    assert [(p["id"], p["text"], p["photos"], p["link"]) for p in posts] == [
        (result.external_id, "Our garden club met today.", 0, "")
    ]
    assert result.external_id.startswith(f"{THISTLE_PAGE}_")
    assert result.url.startswith(f"https://www.facebook.com/{THISTLE_PAGE}/posts/")


def test_first_link_in_the_text_is_sent_as_the_link(
    fake: RunningFake, facebook_channel: Any
) -> None:
    text = "Read our news (https://thistle.example/news/1), or https://other.example/."
    connector(facebook_channel).publish(publication(text))
    (post,) = fake.state()["posts"]
    assert post["text"] == text
    assert post["link"] == "https://thistle.example/news/1"


def test_single_photo_is_posted_with_the_text_as_caption_and_its_exact_bytes(
    fake: RunningFake, facebook_channel: Any
) -> None:
    image = jpeg()
    result = connector(facebook_channel).publish(publication("Sweet peas.", image))
    state = fake.state()
    (post,) = state["posts"]
    assert post["id"] == result.external_id
    assert post["text"] == "Sweet peas." and post["photos"] == 1
    assert post["photo_sha256"] == [sha(image)]
    assert state["staged_photos"] == 0


def test_several_photos_become_one_post_in_order(fake: RunningFake, facebook_channel: Any) -> None:
    images = [jpeg((i * 40, 100, 100)) for i in range(3)]
    result = connector(facebook_channel).publish(publication("Our day out.", *images))
    state = fake.state()
    (post,) = state["posts"]
    assert post["id"] == result.external_id and post["text"] == "Our day out."
    assert post["photo_sha256"] == [sha(i) for i in images]
    assert state["staged_photos"] == 0


def test_staged_photos_are_removed_when_the_final_post_fails(
    fake: RunningFake, facebook_channel: Any
) -> None:
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "503", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Our day out.", jpeg(), jpeg()))
    assert caught.value.kind == ErrorKind.TRANSIENT
    assert "photos uploaded for it were removed" in caught.value.message
    state = fake.state()
    assert state["posts"] == [] and state["staged_photos"] == 0


def test_staged_photos_are_removed_when_the_final_post_has_an_unknown_outcome_and_is_absent(
    fake: RunningFake, facebook_channel: Any
) -> None:
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "500", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Our day out.", jpeg(), jpeg()))
    assert caught.value.kind == ErrorKind.UNKNOWN
    state = fake.state()
    assert state["posts"] == [] and state["staged_photos"] == 0


def test_a_lost_answer_to_the_final_post_is_checked_before_any_clean_up(
    fake: RunningFake, facebook_channel: Any
) -> None:
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "lose_response", "times": 1})
    result = connector(facebook_channel).publish(publication("Our day out.", jpeg(), jpeg()))
    state = fake.state()
    (post,) = state["posts"]
    assert post["id"] == result.external_id and post["photos"] == 2
    assert state["staged_photos"] == 0


def test_a_failed_clean_up_is_reported_in_the_error(
    fake: RunningFake, facebook_channel: Any
) -> None:
    fake.faults(
        {"method": "POST", "path": r"/feed$", "fault": "503", "times": 1},
        {"method": "DELETE", "fault": "503", "times": -1},
    )
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Our day out.", jpeg(), jpeg()))
    assert "could not remove 2 of the photos" in caught.value.message
    assert fake.state()["staged_photos"] == 2


def test_a_failed_staging_removes_the_photos_already_staged(
    fake: RunningFake, facebook_channel: Any
) -> None:
    # The first upload succeeds, Facebook refuses the second: the first is not left behind.
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Our day out.", jpeg(), b"not a photo"))
    assert caught.value.kind == ErrorKind.PERMANENT
    assert "photos uploaded for it were removed" in caught.value.message
    state = fake.state()
    assert state["posts"] == [] and state["staged_photos"] == 0


def test_an_image_over_four_megabytes_is_recompressed_to_fit(
    fake: RunningFake, facebook_channel: Any
) -> None:
    noise = Image.frombytes("RGB", (1400, 1400), random.Random(7).randbytes(1400 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    big = out.getvalue()
    assert len(big) > 4 * 1024 * 1024
    connector(facebook_channel).publish(publication("Noise.", big))
    (post,) = fake.state()["posts"]
    assert 0 < post["photo_bytes"][0] <= 4 * 1024 * 1024


def test_a_token_for_another_page_is_refused_permanently(fake: RunningFake) -> None:
    tokens = page_tokens(fake)
    channel = channel_for(DAY_SERVICE_PAGE, tokens[THISTLE_PAGE])
    with pytest.raises(ConnectorError) as caught:
        connector(channel).publish(publication("Wrong page."))
    assert caught.value.kind == ErrorKind.PERMANENT
    assert "permission to post" in caught.value.message
    assert fake.state()["posts"] == []


def test_text_longer_than_facebook_allows_is_refused_before_sending(
    fake: RunningFake, facebook_channel: Any
) -> None:
    before = fake.state()["requests"]
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("x" * 63207))
    assert caught.value.kind == ErrorKind.PERMANENT
    assert fake.state()["requests"] == before


# -- delete and status --------------------------------------------------------------


def test_delete_removes_the_post(fake: RunningFake, facebook_channel: Any) -> None:
    result = connector(facebook_channel).publish(publication("Bye.", jpeg()))
    deleted = connector(facebook_channel).delete(result.external_id)
    assert deleted.outcome == "deleted"
    state = fake.state()
    assert state["posts"] == [] and state["deleted"] == 1


def test_deleting_a_post_that_is_gone_says_already_gone(
    fake: RunningFake, facebook_channel: Any
) -> None:
    result = connector(facebook_channel).publish(publication("Bye."))
    connector(facebook_channel).delete(result.external_id)
    assert connector(facebook_channel).delete(result.external_id).outcome == "already_gone"


def test_status_is_live_then_gone(fake: RunningFake, facebook_channel: Any) -> None:
    result = connector(facebook_channel).publish(publication("Hello."))
    assert connector(facebook_channel).status(result.external_id) == RemoteState.LIVE
    connector(facebook_channel).delete(result.external_id)
    assert connector(facebook_channel).status(result.external_id) == RemoteState.GONE


def test_a_failing_delete_is_transient(fake: RunningFake, facebook_channel: Any) -> None:
    result = connector(facebook_channel).publish(publication("Hello."))
    fake.faults({"method": "DELETE", "fault": "500", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).delete(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT


# -- faults -------------------------------------------------------------------------


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
def test_each_fault_on_create_has_the_right_kind(
    fake: RunningFake, facebook_channel: Any, fault: str, kind: ErrorKind
) -> None:
    fake.faults({"method": "POST", "path": r"/feed$", "fault": fault, "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication(f"Fault {fault}."))
    assert caught.value.kind == kind


def test_rate_limiting_waits_as_long_as_facebook_estimates(
    fake: RunningFake, facebook_channel: Any
) -> None:
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "429", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Throttled."))
    # estimated_time_to_regain_access is in minutes (the fake says 1).
    assert caught.value.retry_after == 60


def test_an_invalid_token_asks_for_reconnection(fake: RunningFake) -> None:
    channel = channel_for(THISTLE_PAGE, "EAAP-not-a-real-token")
    with pytest.raises(ConnectorError) as caught:
        connector(channel).publish(publication("Hello."))
    assert caught.value.kind == ErrorKind.AUTH
    assert "EAAP-not-a-real-token" not in caught.value.message
    assert "190" in caught.value.message


def test_a_slow_create_past_the_timeout_is_unknown(
    fake: RunningFake, facebook_channel: Any, settings: Any
) -> None:
    settings.CAREPOST_CONNECTOR_TIMEOUT = 1
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "slow", "seconds": 2, "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(publication("Slow."))
    assert caught.value.kind == ErrorKind.UNKNOWN


def test_a_slow_read_past_the_timeout_is_transient(
    fake: RunningFake, facebook_channel: Any, settings: Any
) -> None:
    result = connector(facebook_channel).publish(publication("Hello."))
    settings.CAREPOST_CONNECTOR_TIMEOUT = 1
    fake.faults({"method": "GET", "fault": "slow", "seconds": 2, "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).status(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT


def test_a_read_failing_on_facebooks_side_is_transient(
    fake: RunningFake, facebook_channel: Any
) -> None:
    result = connector(facebook_channel).publish(publication("Hello."))
    fake.faults({"method": "GET", "fault": "500", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).status(result.external_id)
    assert caught.value.kind == ErrorKind.TRANSIENT


# -- reconciling an unknown outcome -------------------------------------------------


def test_a_lost_response_is_found_afterwards_and_nothing_duplicates(
    fake: RunningFake, facebook_channel: Any
) -> None:
    pub = publication("Lost in the post.")
    fake.faults({"method": "POST", "path": r"/feed$", "fault": "lose_response", "times": 1})
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).publish(pub)
    assert caught.value.kind == ErrorKind.UNKNOWN
    found = connector(facebook_channel).find_published(pub)
    assert found is not None
    (post,) = fake.state()["posts"]
    assert found.external_id == post["id"]
    assert found.url.endswith(post["id"].split("_")[1])


def test_a_lost_photo_post_is_found_afterwards(fake: RunningFake, facebook_channel: Any) -> None:
    pub = publication("A photo, lost.", jpeg())
    fake.faults({"method": "POST", "path": r"/photos$", "fault": "lose_response", "times": 1})
    with pytest.raises(ConnectorError):
        connector(facebook_channel).publish(pub)
    found = connector(facebook_channel).find_published(pub)
    assert found is not None and found.external_id == fake.state()["posts"][0]["id"]


def test_a_recent_send_that_is_not_in_the_feed_cannot_be_judged_yet(
    fake: RunningFake, facebook_channel: Any
) -> None:
    pub = publication("Never sent.", claimed_ago=timedelta(seconds=30))
    with pytest.raises(ConnectorError) as caught:
        connector(facebook_channel).find_published(pub)
    assert caught.value.kind == ErrorKind.UNKNOWN


def test_a_send_not_in_the_feed_after_two_minutes_did_not_happen(
    fake: RunningFake, facebook_channel: Any
) -> None:
    pub = publication("Never sent.", claimed_ago=timedelta(minutes=3))
    assert connector(facebook_channel).find_published(pub) is None


def test_finding_matches_the_exact_text_only(fake: RunningFake, facebook_channel: Any) -> None:
    connector(facebook_channel).publish(publication("Never sent, plus more."))
    pub = publication("Never sent", claimed_ago=timedelta(minutes=3))
    assert connector(facebook_channel).find_published(pub) is None


def test_finding_reads_every_page_of_the_feed(fake: RunningFake, facebook_channel: Any) -> None:
    wanted = publication("The first of many.")
    connector(facebook_channel).publish(wanted)
    for i in range(120):  # more than one page of 100 results, all newer
        connector(facebook_channel).publish(publication(f"Later post {i}."))
    found = connector(facebook_channel).find_published(wanted)
    assert found is not None and found.external_id == fake.state()["posts"][0]["id"]
