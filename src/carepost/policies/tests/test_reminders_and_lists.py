"""Reminders, overdue lists and coverage on real data, with the date passed in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from carepost.common.errors import PermissionDenied
from carepost.policies import selectors, services
from carepost.policies.due import Reason, State
from carepost.policies.models import AttestationReminder
from carepost.policies.tasks import reminders_send
from carepost.policies.tests.conftest import make_policy, publish

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def test_a_new_member_gets_one_induction_reminder_however_often_the_sweep_runs(
    org: Any, admin: Any, alice: Any, policy: Any
) -> None:
    mail.outbox.clear()
    assert reminders_send(organisation_id=org.pk) == 2  # ada and alice
    assert reminders_send(organisation_id=org.pk) == 0
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(to_alice) == 1
    assert "Social media" in to_alice[0].subject
    assert f"/policies/{policy.pk}/" in to_alice[0].body
    assert AttestationReminder.objects.filter(membership=alice, kind="due").count() == 1


def test_an_overdue_reminder_follows_once_the_grace_period_has_passed(
    org: Any, alice: Any, policy: Any
) -> None:
    reminders_send(organisation_id=org.pk)
    mail.outbox.clear()
    later = TODAY() + timedelta(days=15)
    assert reminders_send(organisation_id=org.pk, today=later) >= 1
    overdue = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(overdue) == 1 and "(overdue)" in overdue[0].subject
    mail.outbox.clear()
    reminders_send(organisation_id=org.pk, today=later + timedelta(days=1))
    assert not [m for m in mail.outbox if m.to == ["alice@example.org"]]


def test_publishing_a_version_that_needs_rereading_emails_after_commit(
    org: Any, admin: Any, alice: Any, policy: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.attestation_record(membership=alice, version=policy.versions.get())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish(admin, policy)
    assert not mail.outbox  # nothing is sent inside the transaction
    for callback in callbacks:
        callback()  # the immediate task backend runs the task now
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(to_alice) == 1
    assert "A new version needs you to read it again" in to_alice[0].body


def test_a_minor_version_sends_nobody_who_is_up_to_date_a_reminder(
    org: Any, admin: Any, alice: Any, policy: Any
) -> None:
    services.attestation_record(membership=alice, version=policy.versions.get())
    mail.outbox.clear()
    publish(admin, policy, reattest=False)
    assert not [m for m in mail.outbox if m.to == ["alice@example.org"]]


def test_the_review_cycle_reminder_comes_a_month_before_the_anniversary(
    org: Any, alice: Any, policy: Any
) -> None:
    services.attestation_record(membership=alice, version=policy.versions.get())
    reminders_send(organisation_id=org.pk)
    mail.outbox.clear()
    anniversary = selectors.status_for(membership=alice, policy=policy).next_review
    assert anniversary is not None
    reminders_send(organisation_id=org.pk, today=anniversary - timedelta(days=31))
    assert not [m for m in mail.outbox if m.to == ["alice@example.org"]]
    reminders_send(organisation_id=org.pk, today=anniversary - timedelta(days=30))
    (reminder,) = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert "regular re-read" in reminder.body


def test_a_member_who_has_left_gets_no_reminders(org: Any, alice: Any, policy: Any) -> None:
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    mail.outbox.clear()
    reminders_send(organisation_id=org.pk, today=TODAY() + timedelta(days=30))
    assert not [m for m in mail.outbox if m.to == ["alice@example.org"]]


def test_a_failed_email_is_released_and_retried_on_the_next_sweep(
    org: Any, alice: Any, policy: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import carepost.policies.tasks as tasks

    def broken(**kwargs: Any) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(tasks, "send_mail", broken)
    assert reminders_send(organisation_id=org.pk) == 0
    assert not AttestationReminder.objects.filter(membership=alice).exists()
    monkeypatch.undo()
    mail.outbox.clear()
    assert reminders_send(organisation_id=org.pk) >= 1
    assert [m for m in mail.outbox if m.to == ["alice@example.org"]]


def test_the_line_managers_overdue_list_shows_only_their_reports(
    admin: Any, lena: Any, managed_alice: Any, bob: Any, policy: Any
) -> None:
    today = TODAY()
    rows = selectors.team_statuses(membership=lena, today=today)
    assert [(r.member, r.status.state) for r in rows] == [(managed_alice, State.DUE)]
    later = selectors.team_statuses(membership=lena, today=today + timedelta(days=15))
    assert later[0].status.state == State.OVERDUE
    services.attestation_record(membership=managed_alice, version=policy.versions.get())
    assert selectors.team_statuses(membership=lena, today=today) == []
    publish(admin, policy)
    (row,) = selectors.team_statuses(membership=lena, today=today)
    assert row.status.reason == Reason.NEW_VERSION


def test_only_line_managers_have_a_team_list(alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        selectors.team_statuses(membership=alice)


def test_coverage_per_service_counts_required_reads(
    admin: Any, alice: Any, bob: Any, service: Any, policy: Any
) -> None:
    services.staff_placement_set(membership=admin, member=alice, service=service)
    services.staff_placement_set(membership=admin, member=bob, service=service)
    services.attestation_record(membership=alice, version=policy.versions.get())
    data = selectors.coverage(membership=admin)
    (braeburn, unplaced) = data.rows
    assert (braeburn.label, braeburn.members, braeburn.required, braeburn.covered) == (
        "Braeburn House",
        2,
        2,
        1,
    )
    assert braeburn.percent == 50
    assert unplaced.label == "No service recorded" and unplaced.members == 1  # ada
    assert data.total.required == 3 and data.total.covered == 1


def test_only_org_admins_see_coverage(lena: Any) -> None:
    with pytest.raises(PermissionDenied):
        selectors.coverage(membership=lena)


def test_the_diff_defaults_to_what_changed_since_the_member_last_read(
    admin: Any, alice: Any, policy: Any
) -> None:
    services.attestation_record(membership=alice, version=policy.versions.get())
    publish(admin, policy)
    diff = selectors.version_diff(membership=alice, policy_id=policy.pk)
    assert (diff.old.number, diff.new.number) == (1, 2)
    added = [line.text for line in diff.lines if line.kind == "added"]
    assert added == ["Decline friend requests from people we support and tell your line manager."]
    assert diff.removed == 0


def test_a_policy_in_another_organisation_is_not_found(olga: Any, policy: Any) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.policy_for(membership=olga, policy_id=policy.pk)
    make_policy  # noqa: B018 (keep the helper import used)
