"""The outbox sweep wakes each waiting row once, so a backlog does not snowball.

Before this, every sweep enqueued a task for every queued row that was due: with a
backlog bigger than one interval's work, the queue grew by the whole backlog on every
sweep (22,565 tasks for 2,000 publications in the first benchmark run).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.posts.tests.helpers import approved
from carepost.publishing.models import Publication, PublicationState
from carepost.publishing.services import outbox_sweep

pytestmark = pytest.mark.django_db

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _enqueued(task_name: str) -> list[int]:
    from django_tasks import default_task_backend

    return [r.args[0] for r in default_task_backend.results if r.task.name == task_name]


def test_a_backlog_waiting_for_its_tasks_is_not_enqueued_again(
    settings: Any, alice: Any, rita: Any, website: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DUMMY_TASKS
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            approved(alice, rita, website)
    assert len(_enqueued("publish_publication")) == 3  # one wake-up each, at approval
    for _ in range(3):
        assert outbox_sweep()["due"] == 0
    assert len(_enqueued("publish_publication")) == 3


def test_a_lost_wake_up_is_replaced_once_and_only_after_a_long_while(
    settings: Any, alice: Any, rita: Any, website: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DUMMY_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        approved(alice, rita, website)
    pub = Publication.objects.get()
    from carepost.publishing.services import LOST_WAKE_UP_SECONDS

    lost_after = max(settings.CAREPOST_SENDING_TIMEOUT, LOST_WAKE_UP_SECONDS)
    assert outbox_sweep()["due"] == 0  # its task is still on the way

    def approved_ago(seconds: float) -> None:
        """As if approved (and its task enqueued) that long ago."""
        then = timezone.now() - timedelta(seconds=seconds)
        Publication.objects.filter(pk=pub.pk).update(
            scheduled_at=then - timedelta(milliseconds=1), updated_at=then
        )

    approved_ago(lost_after - 30)
    assert outbox_sweep()["due"] == 0  # a long backlog, not a lost task: no second one
    approved_ago(lost_after + 1)
    assert outbox_sweep()["due"] == 1
    assert outbox_sweep()["due"] == 0
    assert _enqueued("publish_publication") == [pub.pk, pub.pk]
    assert Publication.objects.get().state == PublicationState.QUEUED


def test_a_wake_up_spent_during_a_rate_limit_hold_comes_back_when_the_hold_ends(
    settings: Any, alice: Any, rita: Any, website: Any
) -> None:
    from carepost.publishing.models import Channel
    from carepost.publishing.services import publication_send

    settings.TASKS = DUMMY_TASKS
    approved(alice, rita, website)
    pub = Publication.objects.get()
    hold_ends = timezone.now() + timedelta(seconds=60)
    Channel.objects.filter(pk=website.pk).update(paused_until=hold_ends)
    assert publication_send(publication_id=pub.pk) is None
    pub.refresh_from_db()
    assert pub.state == PublicationState.QUEUED and pub.scheduled_at == hold_ends
    assert outbox_sweep()["due"] == 0  # still held back
    # A minute on: the hold is over, and the row was last touched before it ended.
    past = timezone.now() - timedelta(seconds=1)
    Channel.objects.filter(pk=website.pk).update(paused_until=past)
    Publication.objects.filter(pk=pub.pk).update(
        scheduled_at=past, updated_at=past - timedelta(seconds=60)
    )
    assert outbox_sweep()["due"] == 1
    assert outbox_sweep()["due"] == 0
