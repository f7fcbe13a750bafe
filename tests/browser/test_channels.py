"""Channels end to end in a real browser, against the fake Mastodon and Bluesky servers:
connect both through the channels page, publish an approved post to the website,
Mastodon and Bluesky, take it down from the post page, and read each platform's outcome."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from carepost.posts.services import DraftInput, post_create, post_submit
from carepost.publishing.models import Channel, Publication, PublicationState
from fakeplatforms.bluesky import DEFAULT_APP_PASSWORD, DEFAULT_HANDLE
from fakeplatforms.testing import RunningFake, running
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "Our garden club planted sweet peas today. Come and see them at the open day!"


@pytest.fixture
def fakes(settings: Any) -> Iterator[tuple[RunningFake, RunningFake]]:
    settings.CAREPOST_ALLOW_INSECURE_INSTANCES = True  # http:// on loopback, for the fakes
    from carepost.publishing.connectors.bluesky.connector import forget_sessions

    forget_sessions()
    with running("mastodon") as mastodon, running("bluesky") as bluesky:
        yield mastodon, bluesky
    forget_sessions()


def test_connect_publish_everywhere_and_take_it_down(
    new_page: Any, alice: Any, rita: Any, website: Any, fakes: tuple[RunningFake, RunningFake]
) -> None:
    mastodon, bluesky = fakes
    page = new_page()
    log_in(page, "rita", "pw-rita")

    # Connect Mastodon through the real OAuth flow: Carepost → the server's consent page → back.
    page.get_by_role("link", name="Channels").click()
    expect(page.get_by_role("heading", name="Channels", exact=True)).to_be_visible()
    page.get_by_role("link", name="Connect a Mastodon account").click()
    page.get_by_label("Channel name", exact=True).fill("Thistle Mastodon")
    page.get_by_label("Mastodon server address").fill(mastodon.url)
    page.get_by_role("button", name="Continue to Mastodon").click()
    page.wait_for_url(f"{mastodon.url}/oauth/authorize**")
    page.get_by_role("button", name="Authorise").click()
    page.wait_for_url("**/channels/")
    expect(page.get_by_text("Thistle Mastodon is connected")).to_be_visible()

    # Connect Bluesky with an app password, against the fake server.
    page.get_by_role("link", name="Connect a Bluesky account").click()
    page.get_by_label("Channel name", exact=True).fill("Thistle Bluesky")
    page.get_by_label("Bluesky handle", exact=True).fill(DEFAULT_HANDLE)
    page.get_by_label("App password", exact=True).fill(DEFAULT_APP_PASSWORD)
    page.get_by_label("Bluesky server", exact=True).fill(bluesky.url)
    page.get_by_role("button", name="Check and connect").click()
    page.wait_for_url("**/channels/")
    expect(page.get_by_text("Thistle Bluesky is connected")).to_be_visible()
    for name in ("Thistle Mastodon", "Thistle Bluesky"):
        expect(page.get_by_role("row").filter(has_text=name)).to_contain_text("Active")
    expect(page.get_by_text("reaches only as far as other servers honour it")).to_be_visible()
    assert_accessible(page, "channels")

    # A worker's post for all three channels, sent for review.
    on_mastodon = Channel.objects.get(name="Thistle Mastodon")
    on_bluesky = Channel.objects.get(name="Thistle Bluesky")
    post = post_create(
        membership=alice,
        draft=DraftInput(text=TEXT, channels=[website, on_mastodon, on_bluesky]),
    )
    post = post_submit(membership=alice, post=post, expected_version=post.version)

    # The reviewer sees how it will look on each platform, and approves it.
    page.goto(f"/posts/{post.pk}/")
    previews = page.get_by_role("list", name="How the post will look on each channel")
    expect(previews.get_by_role("listitem").filter(has_text="Thistle Mastodon")).to_contain_text(
        f"{len(TEXT)} of 500 characters"
    )
    expect(previews.get_by_role("listitem").filter(has_text="Thistle Bluesky")).to_contain_text(
        f"{len(TEXT)} of 300 characters"
    )
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved.")).to_be_visible()

    # It went out on each platform: the fakes have it, and the page links to each.
    assert [p["text"] for p in mastodon.state()["posts"]] == [TEXT]
    assert [p["text"] for p in bluesky.state()["posts"]] == [TEXT]
    publications = {p.channel.name: p for p in Publication.objects.filter(post=post)}
    assert {name: p.state for name, p in publications.items()} == {
        "Website news": PublicationState.PUBLISHED,
        "Thistle Mastodon": PublicationState.PUBLISHED,
        "Thistle Bluesky": PublicationState.PUBLISHED,
    }
    page.goto(f"/posts/{post.pk}/")  # approving leads back to the review queue
    table = page.get_by_role("table", name="Where this post has been published")
    for name in publications:
        row = table.get_by_role("row").filter(has_text=name)
        expect(row.get_by_role("cell", name="Published", exact=True)).to_be_visible()
        expect(row.get_by_role("link", name=f"View it on {name}")).to_have_attribute(
            "href", publications[name].url
        )
    assert_accessible(page, "post (published)")

    # Take it down everywhere from the post page; each platform's note is beside the button.
    for name in publications:
        row = table.get_by_role("row").filter(has_text=name)
        row.get_by_text(f"Take down from {name}").click()
        if name == "Thistle Mastodon":
            expect(row).to_contain_text("reaches only as far as other servers honour it")
        row.get_by_label("Why is it being taken down?").fill("Consent withdrawn")
        row.get_by_role("button", name=f"Take it down now from {name}").click()
        expect(
            page.get_by_text(re.compile(f"(Taking it down|Taken down) from {name}"))
        ).to_be_visible()

    assert mastodon.state()["posts"] == []
    assert bluesky.state()["posts"] == []
    page.goto(f"/posts/{post.pk}/")
    for name in publications:
        row = table.get_by_role("row").filter(has_text=name)
        expect(row.get_by_role("cell", name="Taken down", exact=True)).to_be_visible()
        expect(row).to_contain_text("Reason: Consent withdrawn")
    mastodon_row = table.get_by_role("row").filter(has_text="Thistle Mastodon")
    expect(mastodon_row).to_contain_text("Deleted from")
    expect(mastodon_row).to_contain_text("reaches only as far as other servers honour it")
    expect(table.get_by_role("row").filter(has_text="Website news")).to_contain_text(
        "Removed from the news page and the feed"
    )
    assert all(
        p.state == PublicationState.TAKEN_DOWN and p.taken_down_at
        for p in Publication.objects.filter(post=post)
    )
    assert_accessible(page, "post (taken down)")


def test_previews_update_as_the_worker_types(new_page: Any, alice: Any, website: Any) -> None:
    Channel.objects.create(organisation=website.organisation, kind="mastodon", name="Our Mastodon")
    page = new_page()
    log_in(page, "alice", "pw-alice")
    page.goto("/posts/new/")
    page.get_by_label("Our Mastodon").check()
    page.get_by_label("What do you want to say?").fill("A short note.")
    previews = page.get_by_role("list", name="How the post will look on each channel")
    expect(previews).to_contain_text("13 of 500 characters")
    page.get_by_label("What do you want to say?").fill("word " * 110)
    expect(previews).to_contain_text("Must fix: The text is too long for Our Mastodon: 550 of 500")
    page.get_by_label("Website news").check()
    expect(previews).to_contain_text("550 of 10000 characters")
    assert_accessible(page, "new post with previews")
