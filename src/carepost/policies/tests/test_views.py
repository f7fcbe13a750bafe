"""Policy pages: access (404 across organisations, 403 for the wrong role) and flows."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from carepost.policies.models import Attestation
from carepost.policies.tests.conftest import publish

pytestmark = pytest.mark.django_db


def client_for(membership: Any) -> Client:
    c = Client()
    c.force_login(membership.user)
    return c


def test_every_member_can_read_a_policy_and_sees_it_is_due(alice: Any, policy: Any) -> None:
    response = client_for(alice).get(f"/policies/{policy.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your own accounts" in html and "Code 5.8" in html
    assert "You have not read this policy yet." in html


def test_another_organisations_policy_is_not_found(olga: Any, policy: Any) -> None:
    assert client_for(olga).get(f"/policies/{policy.pk}/").status_code == 404
    assert client_for(olga).post(f"/policies/{policy.pk}/attest/").status_code == 404


def test_a_worker_cannot_open_the_admin_pages(alice: Any, policy: Any) -> None:
    c = client_for(alice)
    assert c.get("/policies/new/").status_code == 403
    assert c.get(f"/policies/{policy.pk}/versions/new/").status_code == 403
    assert c.get("/policies/coverage/").status_code == 403
    assert c.get("/policies/team/").status_code == 403


def test_attesting_through_the_page_records_it(alice: Any, policy: Any) -> None:
    v1 = policy.versions.get()
    response = client_for(alice).post(
        f"/policies/{policy.pk}/attest/", {"version": v1.pk, "confirm": "on"}, follow=True
    )
    assert "Thank you" in response.content.decode()
    assert Attestation.objects.filter(membership=alice, version=v1).exists()


def test_attesting_without_ticking_the_box_records_nothing(alice: Any, policy: Any) -> None:
    client_for(alice).post(f"/policies/{policy.pk}/attest/", {"version": 1})
    assert not Attestation.objects.exists()


def test_admin_publishes_a_version_through_the_form(admin: Any, policy: Any) -> None:
    c = client_for(admin)
    assert c.get(f"/policies/{policy.pk}/versions/new/").status_code == 200
    response = c.post(
        f"/policies/{policy.pk}/versions/new/",
        {
            "body": "## Everything\nCodes: 5.8\nNew text.",
            "summary_of_changes": "Rewritten.",
            "effective_from": timezone.localdate().isoformat(),
            "requires_reattestation": "on",
            "expected_number": 1,
        },
    )
    assert response.status_code == 302
    assert policy.versions.count() == 2


def test_a_validation_problem_keeps_what_the_admin_typed(admin: Any, policy: Any) -> None:
    response = client_for(admin).post(
        f"/policies/{policy.pk}/versions/new/",
        {
            "body": "## Everything\nCodes: 7.7\nNew text.",
            "summary_of_changes": "Rewritten.",
            "effective_from": timezone.localdate().isoformat(),
            "expected_number": 1,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "7.7" in html and "New text." in html


def test_the_changes_page_shows_added_lines(admin: Any, alice: Any, policy: Any) -> None:
    publish(admin, policy)
    html = client_for(alice).get(f"/policies/{policy.pk}/changes/").content.decode()
    assert '<ins><span class="visually-hidden">Added: </span>Decline friend requests' in html


def test_home_page_shows_policies_to_read_and_the_team_panel(
    managed_alice: Any, lena: Any, policy: Any
) -> None:
    assert "Policies to read" in client_for(managed_alice).get("/").content.decode()
    assert "Your team&#x27;s policy reading" in client_for(lena).get("/").content.decode() or (
        "Your team's policy reading" in client_for(lena).get("/").content.decode()
    )


def test_coverage_and_codes_pages_render(admin: Any, policy: Any) -> None:
    c = client_for(admin)
    html = c.get("/policies/coverage/").content.decode()
    assert 'role="img"' in html and "Coverage by service" in html
    assert "2016 number" in c.get("/policies/codes/").content.decode()
    assert "2024 number" in c.get("/policies/codes/?edition=2016").content.decode()
