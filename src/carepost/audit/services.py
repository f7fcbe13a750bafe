"""Writing to the audit log. Called by every service, inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone

from carepost.audit.models import AuditChainHead, AuditEvent


def audit_event_record(
    *,
    action: str,
    subject: models.Model,
    actor: Any = None,
    organisation: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the hash chain.

    Must run inside the caller's transaction, so the event and the state change it
    records commit (or roll back) together.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_event_record must be called inside transaction.atomic()")
    with transaction.atomic():
        # Updating the head first takes its row lock (PostgreSQL) or the write lock
        # (SQLite), so concurrent writers append one after another.
        updated = AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1)
        if not updated:
            AuditChainHead.objects.create(pk=1, seq=1)
        head = AuditChainHead.objects.get(pk=1)
        event = AuditEvent(
            seq=head.seq,
            created_at=timezone.now(),
            organisation=organisation,
            actor=actor if getattr(actor, "pk", None) else None,
            action=action,
            subject_type=subject._meta.label_lower,
            subject_id=str(subject.pk),
            data=data or {},
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event
