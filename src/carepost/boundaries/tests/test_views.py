"""The boundaries pages through Django's test client: access, forms and error pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carepost.boundaries.models import ConnectionRequest, Declaration, PrivacyCheckup
from carepost.boundaries.tests.helpers import acknowledge, declare, in_days, log_request

pytestmark = pytest.mark.django_db


def login(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


AID_ANSWERS = {
    "platform": "facebook",
    "requester": "current",
    "knew_before": "no",
    "child": "no",
    "name": "Jamie",
}


def test_pages_need_a_login(client: Client, db: None) -> None:
    response = client.get("/boundaries/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/boundaries/",
        "/boundaries/request/",
        "/boundaries/check-up/",
        "/boundaries/declarations/new/",
    ],
)
def test_worker_pages_render(client: Client, alice: Any, url: str) -> None:
    assert login(client, alice).get(url).status_code == 200


def test_nav_has_a_boundaries_link(client: Client, alice: Any) -> None:
    assert 'href="/boundaries/"' in login(client, alice).get("/boundaries/").content.decode()


def test_the_aid_gives_advice_without_recording_anything(
    client: Client, alice: Any, jamie: Any
) -> None:
    response = login(client, alice).post(
        "/boundaries/request/", {**AID_ANSWERS, "person": jamie.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "You only know Jamie through the service (Code 5.8)" in page
    assert "Hi Jamie, thank you for thinking of me." in page
    assert 'value="declined_referred" id="id_outcome_1" required checked' in page
    assert not ConnectionRequest.objects.exists()


def test_unanswered_questions_are_listed_and_kept(client: Client, alice: Any) -> None:
    response = login(client, alice).post("/boundaries/request/", {"platform": "facebook"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in page and 'href="#id_requester_0"' in page
    assert '<option value="facebook" selected>' in page


def test_recording_the_request_redirects_to_it(
    client: Client, alice: Any, mona: Any, jamie: Any
) -> None:
    response = login(client, alice).post(
        "/boundaries/request/record/",
        {**AID_ANSWERS, "person": jamie.pk, "outcome": "declined_referred", "note": "At tea"},
    )
    item = ConnectionRequest.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/boundaries/requests/{item.pk}/"
    )
    assert item.outcome == "declined_referred" and item.person == jamie and item.notify_manager
    page = client.get(response["Location"]).content.decode()
    assert "Your line manager has been told" in page and "Declined and referred" in page


def test_recording_without_an_outcome_shows_the_advice_again(client: Client, alice: Any) -> None:
    response = login(client, alice).post("/boundaries/request/record/", AID_ANSWERS)
    assert response.status_code == 400
    assert "What did you do?: This field is required." in response.content.decode()
    assert not ConnectionRequest.objects.exists()


def test_recording_with_tampered_answers_starts_again(client: Client, alice: Any) -> None:
    response = login(client, alice).post(
        "/boundaries/request/record/", {**AID_ANSWERS, "requester": "boss", "outcome": "declined"}
    )
    assert response.status_code == 302 and response["Location"] == "/boundaries/request/"


def test_line_manager_sees_and_marks_a_request_seen(client: Client, alice: Any, mona: Any) -> None:
    item = log_request(alice)
    login(client, mona)
    assert "1 new connection request from your team" in client.get("/").content.decode()
    team = client.get("/boundaries/team/").content.decode()
    assert f"/boundaries/requests/{item.pk}/" in team and "<strong>New</strong>" in team
    response = client.post(f"/boundaries/requests/{item.pk}/seen/", {"comment": "Talked"})
    assert response.status_code == 302
    assert "Seen by mona" in client.get(f"/boundaries/requests/{item.pk}/").content.decode()


def test_colleague_gets_403_and_another_organisation_404(
    client: Client, alice: Any, bob: Any, olga: Any, jamie: Any
) -> None:
    item = log_request(alice)
    d = declare(alice, jamie)
    login(client, bob)
    assert client.get(f"/boundaries/requests/{item.pk}/").status_code == 403
    assert client.get(f"/boundaries/declarations/{d.pk}/").status_code == 403
    login(client, olga)
    assert client.get(f"/boundaries/requests/{item.pk}/").status_code == 404
    assert client.get(f"/boundaries/declarations/{d.pk}/").status_code == 404
    assert (
        client.post(f"/boundaries/declarations/{d.pk}/close/", {"close-reason": "x"}).status_code
        == 404
    )


def test_worker_cannot_use_manager_or_admin_pages(client: Client, alice: Any) -> None:
    login(client, alice)
    for url in ("/boundaries/team/", "/boundaries/report/", "/boundaries/settings/"):
        assert client.get(url).status_code == 403, url


def test_forged_acknowledgement_by_the_worker_is_refused(
    client: Client, alice: Any, mona: Any, jamie: Any
) -> None:
    d = declare(alice, jamie)
    response = login(client, alice).post(
        f"/boundaries/declarations/{d.pk}/plan/",
        {"plan-plan": "I agree with myself", "plan-review_on": in_days(30).isoformat()},
    )
    assert response.status_code == 403
    assert not d.plans.exists()


def test_declaration_form_explains_what_is_missing(client: Client, alice: Any) -> None:
    response = login(client, alice).post("/boundaries/declarations/new/", {"known_since": "2019"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose who you know, or give their name below." in page
    assert 'value="2019"' in page


def test_declaration_flow_from_worker_to_manager_and_back(
    client: Client, alice: Any, mona: Any, jamie: Any
) -> None:
    response = login(client, alice).post(
        "/boundaries/declarations/new/",
        {
            "person": jamie.pk,
            "relationship": "neighbour",
            "known_since": "2015",
            "social_media_connected": "yes",
        },
    )
    d = Declaration.objects.get()
    assert response["Location"] == f"/boundaries/declarations/{d.pk}/"
    assert d.social_media_connected is True
    login(client, mona)
    assert "1 declaration waiting for you to acknowledge" in client.get("/").content.decode()
    response = client.post(
        f"/boundaries/declarations/{d.pk}/plan/",
        {
            "plan-measures": ["not_key_worker", "no_lone_visits"],
            "plan-plan": "Keep Facebook private.",
            "plan-review_on": in_days(120).isoformat(),
        },
    )
    assert response.status_code == 302
    login(client, alice)
    home = client.get("/").content.decode()
    assert "Your line manager has agreed a plan about James Reid: please read it" in home
    page = client.get(f"/boundaries/declarations/{d.pk}/").content.decode()
    assert "Not their key worker" in page and "Keep Facebook private." in page
    plan = d.plans.get()
    assert client.post(f"/boundaries/plans/{plan.pk}/read/").status_code == 302
    assert (
        "confirmed they read this plan"
        in client.get(f"/boundaries/declarations/{d.pk}/").content.decode()
    )


def test_plan_form_errors_keep_the_page(client: Client, alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    response = login(client, mona).post(
        f"/boundaries/declarations/{d.pk}/plan/", {"plan-review_on": in_days(-3).isoformat()}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "The review date must be in the future." in page


def test_review_uses_the_current_plan_number(
    client: Client, alice: Any, mona: Any, jamie: Any
) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    response = login(client, mona).post(
        f"/boundaries/declarations/{d.pk}/plan/",
        {
            "plan-plan": "Reviewed",
            "plan-expected_plan": "1",
            "plan-review_on": in_days(99).isoformat(),
        },
    )
    assert response.status_code == 302 and d.plans.count() == 2
    stale = client.post(
        f"/boundaries/declarations/{d.pk}/plan/",
        {"plan-plan": "Old", "plan-expected_plan": "1", "plan-review_on": in_days(99).isoformat()},
    )
    assert stale.status_code == 409


def test_suggested_link_is_one_click_for_the_manager(
    client: Client, alice: Any, mona: Any, jamie: Any
) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    login(client, mona)
    page = client.get(f"/boundaries/declarations/{d.pk}/").content.decode()
    assert "Yes, link to James Reid" in page
    response = client.post(f"/boundaries/declarations/{d.pk}/link/", {"link-person": jamie.pk})
    assert response.status_code == 302
    assert d.link.person == jamie


def test_checkup_page_says_personal_accounts_are_never_read(client: Client, alice: Any) -> None:
    page = login(client, alice).get("/boundaries/check-up/").content.decode()
    assert (
        "Carepost never connects to, reads or monitors your personal social media accounts" in page
    )
    response = client.post("/boundaries/check-up/", {"items": ["audience", "tagging"]})
    assert response.status_code == 302
    assert PrivacyCheckup.objects.get().items_done == ["audience", "tagging"]


def test_org_admin_sees_counts_and_edits_a_template(client: Client, adam: Any, alice: Any) -> None:
    log_request(alice)
    login(client, adam)
    report = client.get("/boundaries/report/").content.decode()
    assert "1 in all" in report and "alice" not in report
    assert client.get("/boundaries/settings/").status_code == 200
    assert client.get("/boundaries/settings/rules/colleague/").status_code == 200
    assert client.get("/boundaries/settings/codes/2024/").status_code == 200
    response = client.post(
        "/boundaries/settings/templates/reminder/",
        {"title": "Reminder", "body": "Hello {name}, see {official_channels}.", "version": "0"},
    )
    assert response.status_code == 302
    page = login(client, alice).post("/boundaries/request/", AID_ANSWERS).content.decode()
    assert "Hello Jamie, see our Facebook page and website." in page


def test_org_admin_renumbers_a_code_and_edits_a_rule(client: Client, adam: Any, alice: Any) -> None:
    login(client, adam)
    from carepost.boundaries.rules import default_document

    codes = default_document()["editions"]["2024"]["codes"]
    data = {f"{k}__number": v["number"] for k, v in codes.items()}
    data |= {f"{k}__summary": v["summary"] for k, v in codes.items()}
    data["suitability__number"] = "5.9"
    assert (
        client.post("/boundaries/settings/codes/2024/", {**data, "version": "0"}).status_code == 302
    )
    rule = {
        "title": "Relatives",
        "requester": ["relative"],
        "knew_before": ["no"],
        "action": "decline",
        "notify_manager": "on",
        "advice": "Decline, {name} ({code:suitability}).",
        "codes": ["suitability"],
        "reply": "relative",
        "version": "1",
    }
    assert (
        client.post("/boundaries/settings/rules/relative_only_through_service/", rule).status_code
        == 302
    )
    page = (
        login(client, alice)
        .post("/boundaries/request/", {**AID_ANSWERS, "requester": "relative"})
        .content.decode()
    )
    assert "Decline, Jamie (Code 5.9)." in page
    assert "Our policy asks for your line manager to be told" in page


def test_stale_settings_form_is_a_conflict(client: Client, adam: Any) -> None:
    login(client, adam)
    body = {"title": "T", "body": "B {name}", "version": "0"}
    assert client.post("/boundaries/settings/templates/reminder/", body).status_code == 302
    assert client.post("/boundaries/settings/templates/reminder/", body).status_code == 409


def test_unknown_settings_entries_are_404(client: Client, adam: Any) -> None:
    login(client, adam)
    assert client.get("/boundaries/settings/rules/nope/").status_code == 404
    assert client.get("/boundaries/settings/templates/nope/").status_code == 404
    assert client.get("/boundaries/settings/codes/1999/").status_code == 404


def test_no_panel_when_there_is_nothing_to_say(client: Client, alice: Any) -> None:
    assert 'id="boundaries-panel-h"' not in login(client, alice).get("/").content.decode()
