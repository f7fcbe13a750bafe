"""Builders for boundaries tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from carepost.audit.models import AuditEvent
from carepost.boundaries import services
from carepost.boundaries.rules import Answers


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, f"no audit event {action}"
    return event


def current_request(**kw: Any) -> Answers:
    return Answers(
        requester=kw.get("requester", "current"),
        knew_before=kw.get("knew_before", "no"),
        child=kw.get("child", "no"),
        platform=kw.get("platform", "facebook"),
        name=kw.get("name", "Jamie"),
    )


def log_request(member: Any, *, outcome: str = "declined_referred", **kw: Any) -> Any:
    person = kw.pop("person", None)
    tell = kw.pop("tell_manager", False)
    return services.connection_request_record(
        membership=member,
        answers=current_request(**kw),
        outcome=outcome,
        person=person,
        tell_manager=tell,
    )


def declare(member: Any, person: Any = None, **kw: Any) -> Any:
    return services.declaration_create(
        membership=member,
        person=person,
        referral_name=kw.get("referral_name", ""),
        relationship=kw.get("relationship", "neighbour"),
        known_since=kw.get("known_since", "2015"),
        social_media_connected=kw.get("social_media_connected", True),
    )


def in_days(n: int) -> Any:
    return timezone.localdate() + timedelta(days=n)


def acknowledge(manager: Any, declaration: Any, *, review_in: int = 90) -> Any:
    return services.declaration_acknowledge(
        membership=manager,
        declaration=declaration,
        plan="Not the key worker.",
        measures=["not_key_worker", "private_connection"],
        review_on=in_days(review_in),
    )
