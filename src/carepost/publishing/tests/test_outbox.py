from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.audit.models import AuditEvent
from carepost.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from carepost.posts.models import PostStatus, ScreeningFinding
from carepost.posts.tests.helpers import approved
from carepost.publishing.connectors.base import (
    ConnectorError,
    ErrorKind,
)
from carepost.publishing.models import Channel, ChannelStatus, Publication, PublicationState
from carepost.publishing.services import (
    outbox_sweep,
    publication_send,
    publication_take_down,
    publication_take_down_execute,
)
from carepost.publishing.tests.scripted import ScriptedConnector, only_publication

pytestmark = pytest.mark.django_db


def test_sending_publishes_and_marks_the_post_published(
    alice: Any, rita: Any, website: Any
) -> None:
    post = approved(alice, rita, website)
    pub = only_publication(post)
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert pub.url.endswith(f"/news/thistle/{pub.pk}/")
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
    assert AuditEvent.objects.filter(
        action="publication.published", subject_id=str(pub.pk)
    ).exists()


def test_sending_twice_sends_once(alice: Any, rita: Any, scripted: Channel) -> None:
    post = approved(alice, rita, scripted)
    pub = only_publication(post)
    publication_send(publication_id=pub.pk)
    assert publication_send(publication_id=pub.pk) is None
    assert ScriptedConnector.calls == [f"publish {pub.pk}"]


def test_scheduled_publication_waits_for_its_time(alice: Any, rita: Any, website: Any) -> None:
    later = timezone.now() + timedelta(hours=2)
    post = approved(alice, rita, website, publish_at=later)
    pub = only_publication(post)
    assert publication_send(publication_id=pub.pk) is None
    # Two hours on: the row was last touched before its time came.
    Publication.objects.filter(pk=pub.pk).update(
        scheduled_at=timezone.now() - timedelta(seconds=1),
        updated_at=timezone.now() - timedelta(hours=2),
    )
    assert outbox_sweep()["due"] == 1
    assert outbox_sweep()["due"] == 0  # woken once, not on every sweep


def test_checks_are_repeated_at_publishing_time(alice: Any, rita: Any, website: Any) -> None:
    post = approved(alice, rita, website)
    ScreeningFinding.objects.create(
        revision=post.current_revision,
        check_name="personal_data",
        code="personal_data.phone",
        action="block",
        start=0,
        end=3,
        text="Our",
        message="A phone number.",
        kind="phone",
    )
    pub = only_publication(post)
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.FAILED
    assert "phone" in pub.last_error


def test_transient_error_requeues_with_backoff(alice: Any, rita: Any, scripted: Channel) -> None:
    ScriptedConnector.publish_error = ConnectorError(
        ErrorKind.TRANSIENT, "503 from the server", retry_after=120
    )
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.QUEUED
    assert pub.scheduled_at > timezone.now() + timedelta(seconds=100)
    assert pub.last_error == "503 from the server"


def test_unknown_outcome_is_never_blindly_retried(alice: Any, rita: Any, scripted: Channel) -> None:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.UNKNOWN, "timed out")
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    ScriptedConnector.publish_error = None
    outbox_sweep()
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    assert ScriptedConnector.calls == [f"publish {pub.pk}"]


def test_expired_credentials_pause_the_channel_without_dropping_the_post(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.AUTH, "401 invalid token")
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    scripted.refresh_from_db()
    assert scripted.status == ChannelStatus.NEEDS_REAUTH
    assert pub.state == PublicationState.QUEUED
    assert outbox_sweep()["due"] == 0


def test_permanent_error_fails_with_the_reason(alice: Any, rita: Any, scripted: Channel) -> None:
    ScriptedConnector.publish_error = ConnectorError(
        ErrorKind.PERMANENT, "Text too long for this platform"
    )
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.FAILED and "too long" in pub.last_error


def test_sweeper_marks_a_stuck_send_unknown_and_reconciles_the_website(
    alice: Any, rita: Any, website: Any
) -> None:
    pub = only_publication(approved(alice, rita, website))
    Publication.objects.filter(pk=pub.pk).update(
        state=PublicationState.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    counts = outbox_sweep()
    assert counts["stuck"] == 1 and counts["reconciled"] == 1
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED


def test_reviewer_takes_a_website_post_down(alice: Any, rita: Any, website: Any) -> None:
    pub = only_publication(approved(alice, rita, website))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    pub.refresh_from_db()
    assert not pub.is_live  # gone from the page at once
    publication_take_down_execute(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN
    assert pub.take_down_outcome
    actions = list(
        AuditEvent.objects.filter(subject_id=str(pub.pk)).values_list("action", flat=True)
    )
    assert "publication.take_down_requested" in actions and "publication.taken_down" in actions


def test_failed_take_down_is_recorded_and_retried(alice: Any, rita: Any, scripted: Channel) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    ScriptedConnector.delete_error = ConnectorError(ErrorKind.TRANSIENT, "502 bad gateway")
    publication_take_down_execute(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.take_down_outcome.startswith("failed") and pub.state == PublicationState.PUBLISHED
    assert pub.retry_at is not None and pub.retry_at > timezone.now()
    assert outbox_sweep()["take_downs"] == 0  # backing off: not hammering the platform
    Publication.objects.filter(pk=pub.pk).update(retry_at=timezone.now() - timedelta(seconds=1))
    ScriptedConnector.delete_error = None
    assert outbox_sweep()["take_downs"] == 1
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN


def test_taking_down_a_queued_publication_cancels_it(alice: Any, rita: Any, website: Any) -> None:
    pub = only_publication(approved(alice, rita, website))
    publication_take_down(membership=rita, publication=pub, reason="Changed our mind")
    pub.refresh_from_db()
    assert pub.state == PublicationState.CANCELLED


def test_worker_cannot_take_down(alice: Any, bob: Any, rita: Any, website: Any) -> None:
    pub = only_publication(approved(alice, rita, website))
    with pytest.raises(PermissionDenied):
        publication_take_down(membership=bob, publication=pub, reason="x")


def test_other_organisation_cannot_take_down(
    alice: Any, rita: Any, olga: Any, website: Any
) -> None:
    pub = only_publication(approved(alice, rita, website))
    with pytest.raises(PermissionDenied):
        publication_take_down(membership=olga, publication=pub, reason="x")


def test_take_down_needs_a_reason(alice: Any, rita: Any, website: Any) -> None:
    pub = only_publication(approved(alice, rita, website))
    with pytest.raises(ValidationFailed):
        publication_take_down(membership=rita, publication=pub, reason="  ")


def test_taking_down_twice_is_an_invalid_transition(alice: Any, rita: Any, website: Any) -> None:
    pub = only_publication(approved(alice, rita, website))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    with pytest.raises(InvalidTransition):
        publication_take_down(membership=rita, publication=pub, reason="Again")
