"""Reminders for plan reviews and privacy check-ups: due ones are sent, and only once."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.boundaries import services
from carepost.boundaries.models import DeclarationPlan, Notification
from carepost.boundaries.tests.helpers import acknowledge, declare, last_event

pytestmark = pytest.mark.django_db


def _make_old(*members: Any, days: int = 400) -> None:
    Membership.objects.filter(pk__in=[m.pk for m in members]).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_line_manager_is_reminded_of_a_review_that_is_due_once(
    alice: Any, mona: Any, jamie: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    plan = acknowledge(mona, declare(alice, jamie), review_in=10)  # within the 14-day notice
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.reminders_send()
    assert queued == 1
    assert [m.to for m in mailoutbox] == [["mona@example.org"]]
    assert "due for review" in mailoutbox[0].body
    assert last_event("notification.queued").data["key"] == f"review:{plan.pk}:{plan.review_on}"
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 0
    assert len(mailoutbox) == 1


def test_a_review_far_ahead_is_not_reminded_yet(alice: Any, mona: Any, jamie: Any) -> None:
    acknowledge(mona, declare(alice, jamie), review_in=60)
    assert services.reminders_send() == 0


def test_a_new_review_date_brings_a_new_reminder(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d, review_in=5)
    assert services.reminders_send() == 1
    services.declaration_review(
        membership=mona,
        declaration=d,
        expected_plan=1,
        plan="Fine",
        review_on=timezone.localdate() + timedelta(days=7),
    )
    assert services.reminders_send() == 1
    assert Notification.objects.filter(kind="review_due").count() == 2


def test_a_closed_declaration_is_not_reminded(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    plan = acknowledge(mona, d, review_in=5)
    DeclarationPlan.objects.filter(pk=plan.pk).update(review_on=timezone.localdate())
    services.declaration_close(membership=mona, declaration=d, reason="Moved away")
    assert services.reminders_send() == 0


def test_workers_are_reminded_of_their_checkup_once_per_cycle(
    alice: Any, bob: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    _make_old(alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 1
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    assert "never connects to, reads or monitors" in mailoutbox[0].body
    assert services.reminders_send() == 0  # not twice
    services.privacy_checkup_record(membership=alice, items_done=["tagging"])
    assert services.reminders_send() == 0  # done: next one in six months


def test_the_command_queues_reminders_and_says_how_many(alice: Any) -> None:
    _make_old(alice)
    out = StringIO()
    call_command("boundaries_remind", stdout=out)
    assert "1 reminder queued" in out.getvalue()
    out = StringIO()
    call_command("boundaries_remind", stdout=out)
    assert "0 reminders queued" in out.getvalue()


def test_a_notice_whose_task_was_lost_is_sent_by_the_next_run(
    alice: Any, mona: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    from carepost.boundaries.tests.helpers import log_request

    log_request(alice)  # its task never ran
    Notification.objects.update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.reminders_send()
    assert len(mailoutbox) == 1
    assert Notification.objects.get().sent_at is not None


def test_the_reminder_task_runs_the_same_service(alice: Any, mailoutbox: Any) -> None:
    from carepost.boundaries.tasks import send_reminders

    _make_old(alice)
    send_reminders.call()
    assert Notification.objects.filter(kind="checkup_due").count() == 1
