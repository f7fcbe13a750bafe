"""Per-platform previews: the pure function, the approval gate, and the pages."""

from __future__ import annotations

from typing import Any

import pytest

from carepost.common.errors import ValidationFailed
from carepost.posts.models import PostRevision
from carepost.posts.tests.helpers import approved, photo, submitted
from carepost.publishing.connectors.base import Limits
from carepost.publishing.models import Channel, PublicationState
from carepost.publishing.previews import (
    ChannelInfo,
    PhotoInfo,
    build_previews,
    platform_problems,
    text_length,
)
from carepost.publishing.services import publication_send
from carepost.publishing.tests.scripted import ScriptedConnector, only_publication
from carepost.review.services import review_approve

MASTODON = ChannelInfo(pk=1, name="Our Mastodon", kind="mastodon", kind_label="Mastodon")
BLUESKY = ChannelInfo(pk=2, name="Our Bluesky", kind="bluesky", kind_label="Bluesky")
FACEBOOK = ChannelInfo(pk=3, name="Our Page", kind="facebook", kind_label="Facebook Page")
WEBSITE = ChannelInfo(pk=4, name="Website news", kind="website", kind_label="Website news page")
LIMITS = {
    "mastodon": Limits(text_max=500, max_images=4, deletion_note="Federated: may linger."),
    "bluesky": Limits(text_max=300, text_unit="graphemes", max_images=4, image_max_bytes=1_000_000),
    "facebook": Limits(text_max=63206, max_images=10),
    "website": Limits(text_max=10_000, max_images=10),
}


def limits_of(kind: str) -> Limits | None:
    return LIMITS.get(kind)


def preview(text: str, channel: ChannelInfo, photos: list[PhotoInfo] | None = None) -> Any:
    [result] = build_previews(
        text=text, photos=photos or [], channels=[channel], limits_of=limits_of
    )
    return result


def photo_info(width: int = 800, height: int = 600, size: int | None = 50_000) -> PhotoInfo:
    return PhotoInfo(alt_text="Sweet peas", width=width, height=height, size_bytes=size, url="/p")


# -- the pure function -----------------------------------------------------------------
def test_text_within_the_limit_has_no_warning() -> None:
    pv = preview("Our garden club planted sweet peas today.", MASTODON)
    assert pv.count == 41 and pv.limit == 500 and pv.over_by == 0
    assert not pv.warnings and not pv.blocked


def test_text_over_mastodons_limit_is_blocking_and_says_by_how_much() -> None:
    pv = preview("a" * 523, MASTODON)
    assert pv.over_by == 23 and pv.blocked
    [warning] = pv.warnings
    assert "523 of 500 characters" in warning.message
    assert "Shorten it by 23 characters" in warning.message


def test_mastodon_counts_every_link_as_23_characters() -> None:
    link = "https://example.org/" + "a" * 200
    assert text_length(f"See {link}", kind="mastodon", limits=LIMITS["mastodon"]) == 4 + 23
    assert not preview("x" * 470 + " " + link, MASTODON).blocked


def test_mastodon_counts_a_remote_mention_by_the_user_name_only() -> None:
    assert text_length("Hi @ann@social.example", kind="mastodon", limits=LIMITS["mastodon"]) == 7


def test_bluesky_counts_what_a_reader_sees_as_one_character() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, five code points
    accented = "e\u0301"  # é typed as e + combining accent
    assert text_length(family + accented, kind="bluesky", limits=LIMITS["bluesky"]) == 2
    assert not preview(family * 150, BLUESKY).blocked  # 150 characters, 2,700 bytes
    assert preview("a" * 300, BLUESKY).over_by == 0
    assert preview("a" * 301, BLUESKY).blocked


def test_bluesky_refuses_text_over_its_byte_limit_too() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 18 bytes in UTF-8
    pv = preview(family * 200, BLUESKY)  # 200 graphemes, 3,600 bytes
    assert pv.count == 200 and pv.blocked
    assert "count extra" in pv.warnings[0].message


def test_more_photos_than_the_platform_takes_is_blocking_and_extras_are_marked() -> None:
    pv = preview("Hello", MASTODON, [photo_info() for _ in range(6)])
    assert pv.blocked
    assert "at most 4 photos" in pv.warnings[0].message and "Remove 2" in pv.warnings[0].message
    assert [im.included for im in pv.images] == [True] * 4 + [False] * 2
    assert pv.images[5].description.startswith("Not sent")


def test_mastodon_crops_a_single_photo_to_16_9_and_says_what_is_cut_off() -> None:
    pv = preview("Hello", MASTODON, [photo_info(800, 600)])
    [image] = pv.images
    assert image.frame == (16, 9) and image.frame_css == "16 / 9"
    assert image.description == "Cropped to 16:9: about 25% is cut off at the top and bottom."
    assert "16:9" in pv.layout


def test_a_wide_photo_is_cut_at_the_sides_and_a_fitting_one_not_at_all() -> None:
    wide = preview("Hello", MASTODON, [photo_info(3200, 900)]).images[0]
    assert "left and right" in wide.description
    fits = preview("Hello", MASTODON, [photo_info(1600, 900)]).images[0]
    assert fits.description == "Fits the 16:9 frame: nothing is cut off."


def test_bluesky_keeps_a_single_photos_shape_and_crops_a_grid() -> None:
    single = preview("Hello", BLUESKY, [photo_info(600, 900)])
    assert single.images[0].frame is None and single.images[0].description == "Shown whole."
    grid = preview("Hello", BLUESKY, [photo_info(), photo_info()])
    assert [im.frame for im in grid.images] == [(1, 1), (1, 1)]


def test_facebook_shows_one_photo_whole_and_several_as_a_grid() -> None:
    one = preview("Hi", FACEBOOK, [photo_info()])
    assert one.images[0].frame is None
    assert [w.code for w in one.warnings] == ["alt_text_not_sent"] and not one.blocked
    many = preview("Hi", FACEBOOK, [photo_info() for _ in range(7)])
    assert all(im.frame == (1, 1) for im in many.images)
    assert "+2" in many.layout


def test_a_photo_over_the_platforms_size_is_noted_as_shrunk_not_blocked() -> None:
    pv = preview("Hello", BLUESKY, [photo_info(size=3_000_000)])
    assert not pv.blocked
    assert any(w.code == "photo_shrunk" for w in pv.warnings)


def test_link_card_for_the_first_link_only_without_photos() -> None:
    text = "Our open day: https://thistle.example/open-day. See you there!"
    card = preview(text, MASTODON).link_card
    assert card is not None and card.domain == "thistle.example"
    assert card.url == "https://thistle.example/open-day"
    with_photo = preview(text, MASTODON, [photo_info()])
    assert with_photo.link_card is None and "no link card" in with_photo.link_note
    assert preview(text, BLUESKY).link_card is None
    assert preview(text, FACEBOOK).link_card is not None
    assert preview(text, WEBSITE).link_card is None


def test_a_channel_without_a_connector_is_shown_as_unavailable() -> None:
    other = ChannelInfo(pk=9, name="X", kind="x", kind_label="X")
    [pv] = build_previews(text="Hi", photos=[], channels=[other], limits_of=limits_of)
    assert not pv.available and not pv.blocked


def test_platform_problems_lists_only_blocking_problems_per_channel() -> None:
    problems = platform_problems(
        text="a" * 400, n_photos=1, channels=[MASTODON, BLUESKY, FACEBOOK], limits_of=limits_of
    )
    assert [p.code for p in problems] == ["text_too_long_bluesky"]


def test_deletion_note_comes_from_the_connector() -> None:
    assert preview("Hi", MASTODON).deletion_note == "Federated: may linger."


# -- the approval and publishing gate ----------------------------------------------------
@pytest.mark.django_db
def test_reviewer_cannot_approve_text_too_long_for_a_chosen_platform(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    post = submitted(alice, scripted, text="word " * 120)  # 600 characters
    with pytest.raises(ValidationFailed) as refused:
        review_approve(
            membership=rita,
            post=post,
            revision_id=post.current_revision_id or 0,
            expected_version=post.version,
        )
    assert "too long for Mastodon: 600 of 500 characters" in refused.value.message


@pytest.mark.django_db
def test_text_too_long_is_refused_again_at_publishing_time(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    PostRevision.objects.filter(pk=pub.revision_id).update(text="word " * 120)
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.FAILED
    assert "too long for Mastodon" in pub.last_error
    assert ScriptedConnector.calls == []


@pytest.mark.django_db
def test_the_website_takes_long_text(alice: Any, rita: Any, website: Any) -> None:
    post = approved(alice, rita, website, text="word " * 120)
    assert post.status == "approved"


# -- the pages ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_post_page_shows_a_preview_per_channel_with_a_warning(
    client: Any, alice: Any, scripted: Channel, website: Any
) -> None:
    from carepost.posts.services import DraftInput, post_create

    post = post_create(
        membership=alice,
        draft=DraftInput(text="word " * 120, channels=[scripted, website], photos=[photo()]),
    )
    client.force_login(alice.user)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert "How it will look on each channel" in page
    assert "Must fix: The text is too long for Mastodon: 600 of 500 characters" in page
    assert "600 of 10000 characters" in page
    assert "Cropped to 16:9" in page  # the helper's photo is 4:3
    assert "Scripted deletion note." in page


@pytest.mark.django_db
def test_edit_page_shows_previews_and_the_live_preview_endpoint_answers(
    client: Any, alice: Any, scripted: Channel, website: Any
) -> None:
    post = submitted(alice, scripted, text="Short and sweet.")
    client.force_login(alice.user)
    page = client.get(f"/posts/{post.pk}/edit/").content.decode()
    assert 'hx-post="/publications/preview/"' in page
    assert "16 of 500 characters" in page
    response = client.post(
        "/publications/preview/",
        {"text": "a" * 501, "channels": [scripted.pk, website.pk], "post": post.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "501 of 500 characters" in body and "501 of 10000 characters" in body


@pytest.mark.django_db
def test_live_preview_ignores_another_organisations_channels(
    client: Any, alice: Any, other_org: Any
) -> None:
    theirs = Channel.objects.get(organisation=other_org, kind="website")
    client.force_login(alice.user)
    response = client.post("/publications/preview/", {"text": "Hi", "channels": [theirs.pk]})
    assert response.status_code == 200
    assert "Website" not in response.content.decode()


@pytest.mark.django_db
def test_live_preview_needs_a_login_and_a_post(client: Any, alice: Any) -> None:
    assert client.post("/publications/preview/", {"text": "Hi"}).status_code == 302
    client.force_login(alice.user)
    assert client.get("/publications/preview/").status_code == 405
