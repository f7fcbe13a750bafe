"""Policies and learning in a real browser.

An org admin publishes a new version that everyone must re-read; the worker sees it on
their home page, reads what changed and confirms; their line manager's overdue list
clears. The worker writes a reflection naming a person supported, sees the finding,
rewrites it, completes the module and downloads the baked badge.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carepost.learning.tests.conftest import CLEAN, NAMING
from conftest import _member
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)

POLICY_V1 = """## Your own accounts
Codes: 5.8
Keep your own accounts private. Do not post about work.

## Photos of people we support
Codes: 1.5, 2.3
Only the designated staff post photos, and only with consent.
"""
NEW_RULE = "Decline friend requests from people we support and tell your line manager."


@pytest.fixture
def setting(org: Any, alice: Any, person: Any, settings: Any, live_server: Any) -> dict[str, Any]:
    from carepost.accounts.models import Membership
    from carepost.learning.services import modules_install_starter
    from carepost.policies.services import VersionInput, attestation_record, policy_create

    settings.SITE_URL = live_server.url
    admin = _member(org, "ada", "org_admin")
    lena = _member(org, "lena", "line_manager")
    now = timezone.now()
    # Alice joined three months ago and read version 1 a month ago.
    Membership.objects.filter(pk=alice.pk).update(
        line_manager=lena, created_at=now - timedelta(days=90)
    )
    alice.refresh_from_db()
    policy = policy_create(
        membership=admin,
        title="Social media",
        slug="social-media",
        first_version=VersionInput(
            body=POLICY_V1,
            summary_of_changes="First version.",
            effective_from=timezone.localdate() - timedelta(days=60),
        ),
    )
    attestation_record(
        membership=alice, version=policy.versions.get(), now=now - timedelta(days=30)
    )
    modules_install_starter(membership=admin)
    return {"policy": policy}


def test_new_version_is_read_and_confirmed_and_a_reflection_earns_a_badge(
    new_page: Any, setting: Any, tmp_path: Any
) -> None:
    policy = setting["policy"]

    # The line manager's list is clear: everyone has read the current version.
    manager = new_page()
    log_in(manager, "lena", "pw-lena")
    manager.goto("/policies/team/")
    expect(manager.get_by_text("Everyone in your team is up to date")).to_be_visible()

    # The org admin publishes version 2, in effect since three weeks ago, for everyone to re-read.
    admin = new_page()
    log_in(admin, "ada", "pw-ada")
    admin.get_by_role("link", name="Policies", exact=True).click()
    assert_accessible(admin, "policy list")
    admin.get_by_role("table").get_by_role("link", name="Social media").click()
    expect(admin.get_by_role("heading", name="Social media", level=1)).to_be_visible()
    admin.get_by_role("link", name="Publish a new version").click()
    body = admin.get_by_label("Policy text")
    body.fill(POLICY_V1.replace("Do not post about work.", "Do not post about work.\n" + NEW_RULE))
    admin.get_by_label("What does this version change?").fill(
        "Added what to do about friend requests."
    )
    effective = (timezone.localdate() - timedelta(days=21)).isoformat()
    admin.get_by_label("Takes effect on").fill(effective)
    expect(admin.get_by_label("Everyone must read and confirm this version again")).to_be_checked()
    assert_accessible(admin, "publish a policy version")
    admin.get_by_role("button", name="Publish").click()
    expect(admin.get_by_text("Version 2 published")).to_be_visible()
    assert_accessible(admin, "policy (admin)")

    # The line manager now sees the worker as overdue.
    manager.reload()
    row = manager.get_by_role("row").filter(has_text="alice")
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("A new version needs you to read it again.")
    assert_accessible(manager, "team reading")
    manager.goto("/")
    expect(manager.get_by_role("heading", name="Your team's policy reading")).to_be_visible()

    # The worker sees it on their home page, reads the changes and confirms.
    worker = new_page()
    log_in(worker, "alice", "pw-alice")
    panel = worker.get_by_role("region", name="Policies to read")
    expect(panel).to_contain_text("Social media")
    expect(panel).to_contain_text("Overdue since")
    panel.get_by_role("link", name="Social media").click()
    expect(worker.get_by_text("A new version needs you to read it again.")).to_be_visible()
    expect(worker.get_by_role("link", name="Code 5.8").first).to_be_visible()
    worker.get_by_role("link", name="See what changed since you last read it").click()
    expect(worker.get_by_role("heading", name="What changed in Social media")).to_be_visible()
    expect(worker.locator(".diff ins")).to_have_text("Added: " + NEW_RULE)
    assert_accessible(worker, "policy changes")
    worker.get_by_role("link", name="Back to the policy").click()
    assert_accessible(worker, "policy (attestation)")
    worker.get_by_label("I have read and understood this version of the policy").check()
    worker.get_by_role("button", name="Confirm").click()
    expect(worker.get_by_text("Thank you. You have confirmed you read version 2")).to_be_visible()
    worker.goto("/")
    expect(worker.get_by_role("region", name="Policies to read")).to_have_count(0)

    # The line manager's overdue list updates.
    manager.goto("/policies/team/")
    expect(manager.get_by_text("Everyone in your team is up to date")).to_be_visible()
    assert policy.attestations.filter(version__number=2).count() == 1

    # The worker writes a reflection that names a person supported.
    worker.get_by_role("link", name="Learning", exact=True).click()
    assert_accessible(worker, "learning")
    worker.get_by_role("link", name="Social media and you").click()
    worker.get_by_role("textbox", name="Your reflection").fill(NAMING)
    worker.get_by_role("button", name="Save and check").click()
    expect(
        worker.get_by_role("heading", name="Your reflection may identify someone")
    ).to_be_visible()
    expect(worker.locator("mark.finding-mark")).to_contain_text("Nessie")
    expect(worker.get_by_role("button", name="Complete the module and get my badge")).to_have_count(
        0
    )
    assert_accessible(worker, "learning module with a finding")

    # They rewrite it; it passes, and they complete the module sharing the evidence.
    worker.get_by_role("textbox", name="Your reflection").fill(CLEAN)
    worker.get_by_role("button", name="Save and check").click()
    expect(
        worker.get_by_text("Saved and checked: nothing in it identifies anyone.")
    ).to_be_visible()
    assert_accessible(worker, "learning module")
    worker.get_by_label("Link my reflection to my badge as evidence").check()
    worker.get_by_role("button", name="Complete the module and get my badge").click()
    expect(worker.get_by_text("You have earned the “Social media and you” badge")).to_be_visible()
    expect(worker.get_by_role("heading", name="My badges", level=1)).to_be_visible()
    assert_accessible(worker, "badges")

    # The badge downloads with the assertion baked in, matching the one served publicly.
    with worker.expect_download() as download_info:
        worker.get_by_role("link", name="Download the Social media and you badge").click()
    path = tmp_path / "badge.png"
    download_info.value.save_as(path)
    from carepost.learning.badges import unbaked

    baked = unbaked(path.read_bytes())
    assert baked is not None and baked["type"] == "Assertion"
    served = worker.request.get(baked["id"])
    assert served.ok and served.json() == baked
    assert "evidence" in baked
    evidence = worker.request.get(baked["evidence"]["id"])
    assert "Nessie" not in evidence.text()
    worker.goto(baked["evidence"]["id"])
    assert_accessible(worker, "badge evidence")


def test_coverage_self_assessment_and_scenario_pages_are_accessible(
    new_page: Any, setting: Any
) -> None:
    admin = new_page()
    log_in(admin, "ada", "pw-ada")
    admin.get_by_role("link", name="Policy coverage").click()
    expect(admin.get_by_role("img", name="Policy reading coverage by service")).to_be_visible()
    assert_accessible(admin, "coverage")
    admin.goto("/policies/codes/")
    assert_accessible(admin, "codes")

    worker = new_page()
    log_in(worker, "alice", "pw-alice")
    worker.goto("/learning/self-assessment/")
    for group in worker.locator("fieldset.radios").all():
        group.get_by_role("radio").nth(2).check()
    worker.get_by_role("button", name="Save my scores").click()
    expect(worker.get_by_text("Saved. Take it again")).to_be_visible()
    expect(
        worker.get_by_role("img", name="Your e-learner characteristics over time")
    ).to_be_visible()
    assert_accessible(worker, "self-assessment")

    worker.goto("/learning/")
    worker.get_by_role("link", name="A friend request from Sam's daughter").click()
    assert_accessible(worker, "scenario")
    worker.get_by_label("Decline, send a short kind message").check()
    worker.get_by_role("button", name="Choose").click()
    expect(worker.get_by_text("This turns on")).to_contain_text("Code 2.8")
    assert_accessible(worker, "scenario feedback")
