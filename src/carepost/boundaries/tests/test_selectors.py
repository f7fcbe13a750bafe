"""Who sees what: workers their own, line managers their team's, org admins counts only,
nobody anything in another organisation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from carepost.boundaries import selectors, services
from carepost.boundaries.models import Declaration, DeclarationPlan
from carepost.boundaries.tests.helpers import acknowledge, declare, log_request
from carepost.common.errors import PermissionDenied
from conftest import _member

pytestmark = pytest.mark.django_db


def test_workers_see_only_their_own_entries(alice: Any, bob: Any, jamie: Any) -> None:
    mine = log_request(alice)
    log_request(bob)
    d = declare(alice, jamie)
    declare(bob, jamie)
    assert list(selectors.my_connection_requests(membership=alice)) == [mine]
    assert [r.declaration for r in selectors.my_declarations(membership=alice)] == [d]


def test_a_worker_cannot_open_a_colleagues_entries(alice: Any, bob: Any, jamie: Any) -> None:
    item = log_request(bob)
    d = declare(bob, jamie)
    with pytest.raises(PermissionDenied):
        selectors.connection_request_for(membership=alice, request_id=item.pk)
    with pytest.raises(PermissionDenied):
        selectors.declaration_for(membership=alice, declaration_id=d.pk)


def test_line_managers_see_only_their_teams_entries(
    alice: Any, bob: Any, mona: Any, max_: Any, jamie: Any
) -> None:
    alices = log_request(alice)
    bobs = log_request(bob)
    d = declare(alice, jamie)
    declare(bob, jamie)
    assert list(selectors.team_connection_requests(membership=mona)) == [alices]
    assert [r.declaration for r in selectors.team_declarations(membership=mona)] == [d]
    assert selectors.connection_request_for(membership=mona, request_id=alices.pk) == alices
    with pytest.raises(PermissionDenied):
        selectors.connection_request_for(membership=mona, request_id=bobs.pk)


def test_a_line_managers_own_entries_are_not_in_their_team_view(alice: Any, mona: Any) -> None:
    log_request(mona)
    assert not selectors.team_connection_requests(membership=mona).exists()


def test_workers_have_no_team_view(alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        selectors.team_declarations(membership=alice)


def test_nobody_in_another_organisation_sees_anything(
    alice: Any, mona: Any, olga: Any, oscar: Any, jamie: Any
) -> None:
    item = log_request(alice)
    d = declare(alice, jamie)
    plan = acknowledge(mona, d)
    for outsider in (olga, oscar):
        with pytest.raises(Http404):
            selectors.connection_request_for(membership=outsider, request_id=item.pk)
        with pytest.raises(Http404):
            selectors.declaration_for(membership=outsider, declaration_id=d.pk)
        with pytest.raises(Http404):
            selectors.plan_for(membership=outsider, plan_id=plan.pk)
    assert not selectors.team_connection_requests(membership=oscar).exists()
    assert selectors.team_declarations(membership=oscar) == []
    assert not selectors.my_connection_requests(membership=olga).exists()


def test_team_filters_narrow_the_lists(alice: Any, mona: Any, jamie: Any, person: Any) -> None:
    log_request(alice, outcome="blocked")
    log_request(alice, outcome="declined")
    d1 = declare(alice, jamie)
    d2 = declare(alice, person)
    acknowledge(mona, d2)
    blocked = selectors.team_connection_requests(
        membership=mona, filters=selectors.RequestFilters(outcome="blocked")
    )
    assert [r.outcome for r in blocked] == ["blocked"]
    awaiting = selectors.team_declarations(
        membership=mona, filters=selectors.DeclarationFilters(status="awaiting")
    )
    assert [r.declaration for r in awaiting] == [d1]


def test_status_is_computed_from_the_events(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    assert selectors.declaration_for(membership=alice, declaration_id=d.pk).status == "awaiting"
    plan = acknowledge(mona, d)
    assert selectors.declaration_for(membership=alice, declaration_id=d.pk).status == "open"
    DeclarationPlan.objects.filter(pk=plan.pk).update(review_on=timezone.localdate())
    assert selectors.declaration_for(membership=alice, declaration_id=d.pk).status == "review_due"
    services.declaration_close(membership=mona, declaration=d, reason="Moved away")
    assert selectors.declaration_for(membership=alice, declaration_id=d.pk).status == "closed"


def test_a_referral_is_suggested_when_someone_with_that_name_is_added(
    org: Any, service: Any, alice: Any, mona: Any
) -> None:
    from carepost.consent.models import Person

    d = declare(alice, referral_name="Morag Baird")
    row = selectors.declaration_for(membership=mona, declaration_id=d.pk)
    assert selectors.link_suggestions(membership=mona, row=row) == []
    morag = Person.objects.create(
        organisation=org, service=service, legal_name="Morag Anne Baird", preferred_name="Mo"
    )
    Person.objects.create(organisation=org, service=service, legal_name="Morag Smith")
    assert selectors.link_suggestions(membership=mona, row=row) == [morag]
    matches = selectors.team_referral_matches(membership=mona)
    assert [(r.declaration, people) for r, people in matches] == [(d, [morag])]
    assert selectors.home_summary(membership=mona).referral_matches == 1
    services.declaration_link_person(membership=mona, declaration=d, person=morag)
    row = selectors.declaration_for(membership=mona, declaration_id=d.pk)
    assert row.person == morag and selectors.link_suggestions(membership=mona, row=row) == []


@pytest.mark.parametrize(
    ("name", "matches"),
    [
        ("Agnes Baird", True),
        ("nessie", True),
        ("Mrs B", False),  # titles and initials alone are not enough
        ("Agnès BAIRD", True),
        ("Agnes Smith", False),
        ("", False),
    ],
)
def test_name_matching_for_referrals(person: Any, name: str, matches: bool) -> None:
    assert selectors.person_matches_name(person, name) is matches


def test_people_in_another_organisation_are_never_suggested(
    alice: Any, mona: Any, stranger: Any
) -> None:
    d = declare(alice, referral_name="Fiona Far")
    row = selectors.declaration_for(membership=mona, declaration_id=d.pk)
    assert selectors.link_suggestions(membership=mona, row=row) == []


def test_org_admin_report_counts_without_names(
    org: Any, alice: Any, bob: Any, mona: Any, adam: Any, jamie: Any, olga: Any
) -> None:
    log_request(alice)
    log_request(bob, outcome="blocked", requester="former")
    log_request(olga)  # another organisation: not counted
    acknowledge(mona, declare(alice, jamie))
    declare(bob, referral_name="New Person")
    services.privacy_checkup_record(membership=alice, items_done=["tagging"])
    report = selectors.organisation_report(membership=adam)
    assert report.requests_total == 2
    assert dict(report.requests_by_outcome)["Blocked"] == 1
    assert dict(report.requests_by_requester)["Someone we used to support"] == 1
    assert (report.declarations_awaiting, report.declarations_open) == (1, 1)
    assert report.referrals_unlinked == 1
    assert report.checkups_done == 1
    assert report.members_without_manager == 2  # bob and mona (adam is the admin)
    text = repr(report)
    assert "alice" not in text and "James" not in text and "New Person" not in text


def test_only_org_admins_see_the_report(alice: Any, mona: Any) -> None:
    for member in (alice, mona):
        with pytest.raises(PermissionDenied):
            selectors.organisation_report(membership=member)


def test_home_summary_tells_a_manager_what_is_waiting(alice: Any, mona: Any, jamie: Any) -> None:
    log_request(alice)
    declare(alice, jamie)
    summary = selectors.home_summary(membership=mona)
    assert (summary.awaiting_me, summary.unseen_requests) == (1, 1)
    assert summary.anything and summary.for_manager


def test_home_summary_asks_the_worker_to_read_a_new_plan(alice: Any, mona: Any, jamie: Any) -> None:
    plan = acknowledge(mona, declare(alice, jamie))
    assert len(selectors.home_summary(membership=alice).plans_to_read) == 1
    services.declaration_plan_read(membership=alice, plan=plan)
    assert selectors.home_summary(membership=alice).plans_to_read == []


def test_checkup_is_due_a_cycle_after_joining_or_the_last_checkup(alice: Any) -> None:
    status = selectors.checkup_status(membership=alice)
    assert not status.due and status.last is None
    from carepost.accounts.models import Membership

    Membership.objects.filter(pk=alice.pk).update(created_at=timezone.now() - timedelta(days=200))
    alice.refresh_from_db()
    assert selectors.checkup_status(membership=alice).due
    services.privacy_checkup_record(membership=alice, items_done=["tagging"])
    assert not selectors.checkup_status(membership=alice).due


def test_a_member_without_a_role_sees_nothing(org: Any) -> None:
    nobody = _member(org, "nobody")
    with pytest.raises(PermissionDenied):
        selectors.my_declarations(membership=nobody)
    assert Declaration.objects.count() == 0
