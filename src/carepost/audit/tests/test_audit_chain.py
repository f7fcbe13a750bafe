from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from carepost.audit.models import AppendOnlyError, AuditEvent
from carepost.audit.selectors import audit_chain_verify
from carepost.audit.services import audit_event_record

pytestmark = pytest.mark.django_db


def _events(org: Any, n: int) -> list[AuditEvent]:
    with transaction.atomic():
        return [
            audit_event_record(action=f"test.{i}", subject=org, organisation=org, data={"i": i})
            for i in range(n)
        ]


def test_a_fresh_chain_verifies(org: Any) -> None:
    _events(org, 5)
    assert audit_chain_verify() == []
    call_command("audit_verify")


def test_each_event_links_to_the_previous_hash(org: Any) -> None:
    events = _events(org, 3)
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_audit_verify_detects_an_edited_row(org: Any) -> None:
    events = _events(org, 4)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"i": 99}', events[1].pk]
        )
    problems = audit_chain_verify()
    assert [p.seq for p in problems] == [events[1].seq]
    with pytest.raises(CommandError, match="FAILED"):
        call_command("audit_verify")


def test_audit_verify_detects_a_deleted_row(org: Any) -> None:
    events = _events(org, 4)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    assert audit_chain_verify()
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_audit_verify_detects_the_newest_row_deleted(org: Any) -> None:
    events = _events(org, 3)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    assert audit_chain_verify()


def test_events_cannot_be_changed_or_deleted_through_the_orm(org: Any) -> None:
    event = _events(org, 1)[0]
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused(org: Any) -> None:
    with pytest.raises(RuntimeError):
        audit_event_record(action="x", subject=org)
