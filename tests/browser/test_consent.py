"""Consent in a real browser: record → tag → approve → publish → withdraw → gone everywhere."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import expect

from carepost.consent.models import Person
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_withdrawal_takes_the_post_down_from_the_page_and_the_feed(
    new_page: Any, alice: Any, rita: Any, carol: Any, website: Any, service: Any
) -> None:
    person = Person.objects.create(
        organisation=website.organisation,
        service=service,
        legal_name="Margaret Anne Docherty",
        preferred_name="Peggy",
        date_of_birth=date(1936, 3, 3),
    )

    # The consent officer records a representative (after a capacity decision) and a consent.
    officer = new_page()
    log_in(officer, "carol", "pw-carol")
    officer.get_by_role("link", name="Consent register").click()
    assert_accessible(officer, "consent register")
    officer.get_by_role("link", name="Margaret Anne Docherty").click()
    expect(officer.get_by_role("heading", name="What may be published today")).to_be_visible()

    officer.get_by_text("Record a capacity decision").click()
    officer.get_by_label("Lacks capacity for this decision").check()
    officer.get_by_label("Date assessed").fill("2026-09-01")
    officer.get_by_label("Assessed by (name and role)").fill("Dr R. Kaur, GP")
    officer.get_by_role("button", name="Record decision").click()
    expect(officer.get_by_text("Capacity decision recorded.")).to_be_visible()

    officer.get_by_text("Record a representative").click()
    officer.get_by_label("Their name").fill("Ann Docherty")
    officer.get_by_label("Relationship to the person").fill("Daughter")
    officer.get_by_label("Authority", exact=True).select_option("welfare_attorney")
    officer.get_by_label("Their powers cover photos, publicity and personal information").check()
    officer.get_by_label("Document reference").fill("OPG W123456")
    officer.get_by_label("Authority valid from").fill("2019-03-01")
    officer.get_by_role("button", name="Record representative").click()
    expect(officer.get_by_text("Representative recorded.")).to_be_visible()

    officer.get_by_text("Record a consent or objection").click()
    form = officer.locator("form", has=officer.get_by_role("button", name="Record", exact=True))
    form.get_by_label("Given by").select_option(
        label="Ann Docherty (Welfare attorney (power of attorney))"
    )
    form.get_by_label("Name", exact=True).check()
    form.get_by_label("Story or quote").check()
    form.get_by_label("All public channels").check()
    form.get_by_label("How it was given").select_option("verbal_witnessed")
    form.get_by_label("Witness (for verbal consent)").fill("Shona MacLeod")
    form.get_by_role("button", name="Record", exact=True).click()
    expect(officer.get_by_text("Recorded.")).to_be_visible()
    assert_accessible(officer, "person")

    # A worker tags Peggy in a post; a reviewer approves; it is published.
    worker = new_page()
    log_in(worker, "alice", "pw-alice")
    worker.get_by_role("link", name="Write a new post").click()
    worker.get_by_label("What do you want to say?").fill(
        "Peggy led the singing at the tea dance today."
    )
    worker.get_by_label("Margaret Anne Docherty (Peggy), Braeburn House").check()
    worker.get_by_label("Website news").check()
    worker.get_by_role("button", name="Save and check").click()
    worker.get_by_role("button", name="Send for review").click()
    post_url = worker.url

    reviewer = new_page()
    log_in(reviewer, "rita", "pw-rita")
    reviewer.goto(post_url)
    reviewer.get_by_role("button", name="Approve and publish").click()
    expect(reviewer.get_by_text("Approved.")).to_be_visible()

    public = new_page()
    public.goto("/news/thistle/")
    expect(public.get_by_text("Peggy led the singing at the tea dance today.")).to_be_visible()

    # The consent officer withdraws; within seconds it is gone from the page and the feed.
    officer.reload()
    officer.get_by_text("Withdraw this consent").click()
    officer.get_by_label("Reason (optional)").fill("Ann asked us to stop.")
    started = time.monotonic()
    officer.get_by_role("button", name="Withdraw now").click()
    expect(officer.get_by_text("Consent withdrawn.")).to_be_visible()
    public.reload()
    expect(public.get_by_text("Peggy led the singing")).to_have_count(0)
    feed = public.request.get("/news/thistle/feed.atom").text()
    assert "Peggy" not in feed
    assert time.monotonic() - started < 10

    # The post's page shows the take-down outcome.
    worker.goto(post_url)
    expect(worker.get_by_text("Taken down", exact=True).first).to_be_visible()
    expect(
        worker.get_by_role(
            "row", name=re.compile("Take-down asked for .* Removed from the news page")
        )
    ).to_be_visible()
    assert person.pk
