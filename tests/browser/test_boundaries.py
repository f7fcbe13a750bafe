"""The boundaries register in a real browser: a friend request from a person supported,
a declared relationship, the line manager's plan, and the worker reading it.

Parts are done by keyboard alone (Tab, Space, Enter, typing), and every boundaries page
is checked with axe-core.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `selector` (fails if it never does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture
def team(org: Any, alice: Any, service: Any) -> dict[str, Any]:
    """mona line-manages alice; Jamie and Nessie are people Thistle supports."""
    from carepost.accounts.models import Membership
    from carepost.consent.models import Person
    from conftest import _member

    mona = _member(org, "mona", "line_manager")
    Membership.objects.filter(pk=alice.pk).update(line_manager=mona)
    alice.refresh_from_db()
    jamie = Person.objects.create(
        organisation=org, service=service, legal_name="James Reid", preferred_name="Jamie"
    )
    nessie = Person.objects.create(
        organisation=org, service=service, legal_name="Agnes Mary Baird", preferred_name="Nessie"
    )
    return {"mona": mona, "jamie": jamie, "nessie": nessie}


def test_friend_request_and_declaration_reach_the_line_manager_and_back(
    new_page: Any, alice: Any, team: dict[str, Any], mailoutbox: list[Any]
) -> None:
    # The worker opens the boundaries pages from the navigation.
    worker = new_page()
    log_in(worker, "alice", "pw-alice")
    worker.get_by_role("navigation", name="Main").get_by_role("link", name="Boundaries").click()
    expect(worker.get_by_role("heading", name="Boundaries", level=1)).to_be_visible()
    expect(worker.get_by_text("Carepost never connects to, reads or monitors")).to_be_visible()
    assert_accessible(worker, "boundaries home")

    # The decision aid, by keyboard alone: a request from Jamie, a person supported.
    worker.get_by_role("link", name="Someone sent me a friend request").click()
    expect(worker.get_by_role("heading", name="Someone sent me a friend request")).to_be_visible()
    assert_accessible(worker, "decision aid")
    tab_to(worker, "#id_platform")
    worker.keyboard.type("Facebook")
    tab_to(worker, "#id_requester_0")  # "A person we support now"
    worker.keyboard.press("Space")
    tab_to(worker, "#id_knew_before_0")  # "No, I only know them through work"
    worker.keyboard.press("Space")
    tab_to(worker, "#id_child_0")  # "No, they are an adult"
    worker.keyboard.press("Space")
    tab_to(worker, "#id_person")
    worker.keyboard.type("James")
    tab_to(worker, "#id_name")
    worker.keyboard.type("Jamie")
    expect(worker.locator("#id_platform")).to_have_value("facebook")
    expect(worker.locator("#id_person")).to_have_value(str(team["jamie"].pk))
    tab_to(worker, "button[type=submit].button")
    worker.keyboard.press("Enter")

    # The advice: decline, cite Code 5.8, a kind reminder to send, and record it.
    expect(worker.get_by_role("heading", name="Our advice")).to_be_visible()
    expect(
        worker.get_by_text("Decline. You only know Jamie through the service (Code 5.8).")
    ).to_be_visible()
    expect(worker.locator("blockquote.reply")).to_contain_text("Hi Jamie, thank you")
    expect(worker.get_by_text("because our policy asks for it")).to_be_visible()
    assert_accessible(worker, "advice")
    declined_referred = worker.get_by_label("Declined and referred")
    expect(declined_referred).to_be_checked()
    tab_to(worker, "button[type=submit].button")
    worker.keyboard.press("Enter")
    expect(worker.get_by_text("Recorded. Your line manager has been told.")).to_be_visible()
    expect(worker.get_by_role("heading", name="Connection request")).to_be_visible()
    assert_accessible(worker, "connection request")

    # The line manager is emailed (after commit, by the task) ...
    assert [m.to for m in mailoutbox] == [["mona@example.org"]]
    assert "logged a connection request" in mailoutbox[0].subject
    assert "Declined and referred" in mailoutbox[0].body

    # ... sees it on their home page and their team view, and marks it as seen.
    manager = new_page()
    log_in(manager, "mona", "pw-mona")
    assert_accessible(manager, "home with the boundaries panel")
    manager.get_by_role("link", name="1 new connection request from your team").click()
    expect(manager.get_by_role("heading", name="Your team")).to_be_visible()
    row = manager.get_by_role("row").filter(has_text="alice")
    expect(row).to_contain_text("Declined and referred")
    expect(row).to_contain_text("New")
    assert_accessible(manager, "team")
    row.get_by_role("link").click()
    expect(manager.get_by_text("Jamie", exact=False).first).to_be_visible()
    assert_accessible(manager, "connection request (line manager)")
    manager.get_by_role("button", name="Mark as seen").click()
    expect(manager.get_by_text("Seen by mona")).to_be_visible()

    # The worker declares a relationship they already have with Nessie.
    worker.goto("/boundaries/")
    worker.get_by_role("link", name="Declare a relationship").click()
    expect(worker.get_by_role("heading", name="Declare a relationship")).to_be_visible()
    assert_accessible(worker, "declaration form")
    worker.get_by_label("Who do you know?").select_option(
        label="Agnes Mary Baird (Nessie), Braeburn House"
    )
    worker.get_by_label("Neighbour").check()
    worker.get_by_label("Since when have you known them?").fill("2015, she lives next door")
    worker.get_by_role("group", name="Are you connected on social media?").get_by_label(
        "Yes"
    ).check()
    worker.get_by_role("button", name="Send to my line manager").click()
    expect(worker.get_by_text("Thank you for declaring this.")).to_be_visible()
    expect(worker.get_by_text("Waiting for your line manager to acknowledge it")).to_be_visible()
    assert_accessible(worker, "declaration (worker, awaiting)")
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["mona@example.org"]

    # The line manager acknowledges it with a plan and a review date.
    manager.goto("/")
    manager.get_by_role("link", name="1 declaration waiting for you to acknowledge").click()
    manager.get_by_role("link", name="Agnes Mary Baird").click()
    expect(manager.get_by_role("heading", name="Acknowledge and agree a plan")).to_be_visible()
    assert_accessible(manager, "declaration (line manager)")
    manager.get_by_label("Not their key worker").check()
    manager.get_by_label(
        "Any social media connection stays private and is never about work"
    ).check()
    manager.get_by_label("The plan, in your own words").fill(
        "Alice will not be Nessie's key worker and will not do lone visits."
    )
    review_on = timezone.localdate() + timedelta(days=90)
    manager.get_by_label("Review date").fill(review_on.isoformat())
    manager.get_by_role("button", name="Acknowledge and save the plan").click()
    expect(manager.get_by_text("Acknowledged. The plan is saved")).to_be_visible()
    expect(manager.get_by_role("heading", name="Review the plan")).to_be_visible()
    assert_accessible(manager, "declaration (plan agreed)")
    assert mailoutbox[2].to == ["alice@example.org"]

    # The worker sees the plan, and confirms reading it by keyboard.
    worker.goto("/")
    worker.get_by_role(
        "link", name="Your line manager has agreed a plan about Agnes Mary Baird: please read it"
    ).click()
    plan = worker.get_by_role("region", name="The plan")
    expect(plan).to_contain_text("Not their key worker")
    expect(plan).to_contain_text("will not do lone visits")
    expect(plan).to_contain_text(f"Review date: {review_on.day} {review_on:%B %Y}")
    assert_accessible(worker, "declaration (worker, plan)")
    tab_to(worker, "form[action*='/read/'] button")
    worker.keyboard.press("Enter")
    expect(
        worker.get_by_text("Your line manager can see that you have read the plan")
    ).to_be_visible()

    # The optional privacy check-up, by keyboard.
    worker.goto("/boundaries/check-up/")
    expect(
        worker.get_by_text(
            "Carepost never connects to, reads or monitors your personal social media accounts"
        )
    ).to_be_visible()
    assert_accessible(worker, "privacy check-up")
    tab_to(worker, "#id_items_0")
    worker.keyboard.press("Space")
    tab_to(worker, "#id_items_2")
    worker.keyboard.press("Space")
    tab_to(worker, "form[action*='check-up'] button")
    worker.keyboard.press("Enter")
    expect(worker.get_by_text("Well done.")).to_be_visible()


def test_error_summary_and_organisation_pages_are_accessible(
    new_page: Any, org: Any, alice: Any
) -> None:
    from conftest import _member

    _member(org, "adam", "org_admin")

    # A worker submitting the aid with nothing answered gets an error summary.
    worker = new_page()
    log_in(worker, "alice", "pw-alice")
    worker.goto("/boundaries/request/")
    worker.get_by_role("button", name="Get advice").click()
    summary = worker.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    assert_accessible(worker, "decision aid with errors")
    # The summary links take keyboard users to the question.
    summary.get_by_role("link", name="Who sent it?: This field is required.").focus()
    worker.keyboard.press("Enter")
    worker.keyboard.press("Space")
    expect(worker.locator("#id_requester_0")).to_be_checked()

    # The org admin's report (counts only) and the rules, messages and Code numbers.
    admin = new_page()
    log_in(admin, "adam", "pw-adam")
    admin.goto("/boundaries/")
    admin.get_by_role("link", name="Organisation report (counts only)").click()
    expect(admin.get_by_role("heading", name="Boundaries report")).to_be_visible()
    assert_accessible(admin, "organisation report")
    admin.goto("/boundaries/settings/")
    assert_accessible(admin, "boundaries settings")
    admin.get_by_role("link", name="A person we support, known only through work").click()
    expect(admin.get_by_role("heading", name="Edit rule")).to_be_visible()
    assert_accessible(admin, "edit rule")
    admin.goto("/boundaries/settings/")
    admin.get_by_role("link", name="A kind reminder of boundaries").click()
    admin.get_by_label("Message").fill("Hi {name}, we keep our personal accounts private.")
    assert_accessible(admin, "edit message")
    admin.get_by_role("button", name="Save the message").click()
    expect(admin.get_by_text("Saved. The decision aid uses it from now on.")).to_be_visible()
    expect(admin.get_by_text("Version 1.")).to_be_visible()
    admin.get_by_role("link", name="(2024)").first.click()
    assert_accessible(admin, "code numbers")
