"""Reading and verifying the audit log."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from carepost.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def audit_events_for(*, subject: models.Model) -> models.QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(
            subject_type=subject._meta.label_lower, subject_id=str(subject.pk)
        )
        .select_related("actor")
        .order_by("seq")
    )


def audit_chain_verify(*, batch_size: int = 2000) -> list[ChainProblem]:
    """Walk the whole chain; report every edited, deleted or inserted row."""
    problems: list[ChainProblem] = []
    expected_seq = 1
    prev_hash = "0" * 64
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            problems.append(
                ChainProblem(expected_seq, f"events {expected_seq} to {event.seq - 1} are missing")
            )
        if event.prev_hash != prev_hash:
            problems.append(ChainProblem(event.seq, "does not follow the previous event's hash"))
        if event.compute_hash() != event.hash:
            problems.append(ChainProblem(event.seq, "content does not match its hash (edited)"))
        prev_hash = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    head_hash = head.last_hash if head else "0" * 64
    if head_seq != last_seq:
        problems.append(
            ChainProblem(last_seq + 1, f"events {last_seq + 1} to {head_seq} are missing")
        )
    elif head_hash != prev_hash:
        problems.append(ChainProblem(last_seq, "the newest event does not match the chain head"))
    return problems
