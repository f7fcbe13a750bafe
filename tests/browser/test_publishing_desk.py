"""The whole desk in a real browser: draft with a photo → review → news page and feed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from lxml import etree
from PIL import Image
from playwright.sync_api import expect

from carepost.posts.tests.helpers import jpeg_with_gps
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_worker_drafts_reviewer_approves_and_it_is_published(
    new_page: Any, alice: Any, rita: Any, website: Any, consented: Any, tmp_path: Any
) -> None:
    photo_file = tmp_path / "garden.jpg"
    photo_file.write_bytes(jpeg_with_gps((800, 600)))

    # The worker drafts a post with a photo and sends it for review.
    page = new_page()
    log_in(page, "alice", "pw-alice")
    expect(page.get_by_role("heading", name="My posts")).to_be_visible()
    assert_accessible(page, "desk")
    page.get_by_role("link", name="Write a new post").click()
    page.get_by_label("What do you want to say?").fill(
        "Happy birthday Nessie! Our garden club planted sweet peas today."
    )
    page.get_by_label("Add photo 1").set_input_files(str(photo_file))
    page.get_by_label("Describe photo 1 (alt text)").fill("Sweet peas in a raised bed")
    page.get_by_label("Agnes Mary Baird (Nessie), Braeburn House").check()
    page.get_by_label("Website news").check()
    assert_accessible(page, "new post")
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_text("Draft saved and screened")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Preview: exactly what will be published")
    ).to_be_visible()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("Sent for review")).to_be_visible()
    assert_accessible(page, "post")

    # The reviewer sees it in the queue with its findings, and approves.
    reviewer = new_page()
    log_in(reviewer, "rita", "pw-rita")
    reviewer.get_by_role("link", name="Review queue").click()
    row = reviewer.get_by_role("row").filter(has_text="Happy birthday Nessie")
    expect(row).to_contain_text("Person supported")
    assert_accessible(reviewer, "review queue")
    row.get_by_role("link").click()
    expect(reviewer.get_by_role("heading", name="Screening findings")).to_be_visible()
    expect(reviewer.locator(".findings")).to_contain_text("Nessie")
    assert_accessible(reviewer, "post (reviewer)")
    reviewer.get_by_role("button", name="Approve and publish").click()
    expect(reviewer.get_by_text("Approved.")).to_be_visible()

    # It is on the public news page and in the Atom feed; the image has no metadata.
    public = new_page()
    public.goto("/news/thistle/")
    expect(public.get_by_text("Our garden club planted sweet peas today.")).to_be_visible()
    img = public.get_by_role("img", name="Sweet peas in a raised bed")
    expect(img).to_be_visible()
    assert_accessible(public, "news")
    image = public.request.get(img.get_attribute("src") or "")
    with Image.open(io.BytesIO(image.body())) as published:
        assert not published.getexif()
        assert "exif" not in published.info
    feed = public.request.get("/news/thistle/feed.atom")
    doc = etree.fromstring(feed.body())
    titles = doc.xpath("//a:entry/a:title/text()", namespaces={"a": "http://www.w3.org/2005/Atom"})
    assert any("Happy birthday Nessie" in t for t in titles)

    # The author's page now shows the publication.
    page.reload()
    expect(page.get_by_role("cell", name="Published", exact=True)).to_be_visible()


def test_author_cannot_approve_own_post_even_with_a_forged_post(
    new_page: Any, rita: Any, website: Any
) -> None:
    from carepost.posts.tests.helpers import submitted

    post = submitted(rita, website, text="Recruiting relief support workers.")
    page = new_page()
    log_in(page, "rita", "pw-rita")
    page.goto(f"/posts/{post.pk}/")
    expect(page.get_by_text("Someone other than you must approve it")).to_be_visible()
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    forged = page.request.post(
        f"/review/posts/{post.pk}/decide/",
        form={
            "decision": "approve",
            "revision": str(post.current_revision_id),
            "version": str(post.version),
            "csrfmiddlewaretoken": csrf,
        },
        headers={"X-CSRFToken": csrf, "Referer": page.url},
    )
    assert forged.status == 403
    post.refresh_from_db()
    assert post.status == "in_review"
