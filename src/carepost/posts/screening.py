"""Run a revision's text through the screening library and store its findings."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from django.db.models import Count, Max
from django.utils import timezone

from carepost.accounts.models import Organisation, Service
from carepost.consent.models import Person
from carepost.posts.models import PostRevision, ScreeningFinding
from carepost.screening import Policy, Register, RegisterPerson, screen
from carepost.screening import Service as ScreeningService

if TYPE_CHECKING:
    from carepost.screening import Report

# Our service sensitivity → the screening library's: a secret location's address blocks.
SENSITIVITY = {"public": "normal", "discreet": "sensitive", "secret": "secret"}
_cache_lock = threading.Lock()
_register_cache: dict[int, tuple[tuple[object, ...], Register]] = {}


def organisation_register(organisation: Organisation) -> Register:
    """The organisation's register of people, rebuilt only when the people change."""
    people = Person.objects.filter(organisation=organisation)
    stamp = tuple(people.aggregate(n=Count("id"), last=Max("updated_at")).values())
    stamp += tuple(
        Service.objects.filter(organisation=organisation)
        .aggregate(n=Count("id"), last=Max("updated_at"))
        .values()
    )
    with _cache_lock:
        cached = _register_cache.get(organisation.pk)
        if cached and cached[0] == stamp:
            return cached[1]
    services = [
        ScreeningService(
            name=svc.name,
            sensitivity=SENSITIVITY[svc.sensitivity],
            address=svc.address,
            kind=svc.kind,
        )
        for svc in Service.objects.filter(organisation=organisation)
    ]
    register = Register.from_people(
        [
            RegisterPerson(
                id=str(p.pk),
                full_name=p.legal_name,
                preferred_name=p.preferred_name,
                aliases=tuple(p.aliases or ()),
                service=p.service.name,
            )
            for p in people.select_related("service")
        ],
        services=services,
    )
    with _cache_lock:
        _register_cache[organisation.pk] = (stamp, register)
    return register


def screen_text(organisation: Organisation, text: str) -> Report:
    return screen(text, register=organisation_register(organisation), policy=Policy.default())


def revision_screen(revision: PostRevision) -> list[ScreeningFinding]:
    """Screen the revision's text and store the findings (inside the caller's transaction)."""
    organisation = revision.post.organisation
    report = screen_text(organisation, revision.text)
    people = {str(p.pk): p for p in Person.objects.filter(organisation=organisation)}
    findings = [
        ScreeningFinding(
            revision=revision,
            check_name=f.check,
            code=f.code,
            action=f.action,
            source=getattr(f, "source", "text") or "text",
            start=f.start,
            end=f.end,
            text=f.text[:500],
            message=f.message,
            person=people.get(f.person_id) if f.person_id else None,
            kind=f.kind or "",
        )
        for f in report.findings
    ]
    ScreeningFinding.objects.bulk_create(findings)
    revision.screened_at = timezone.now()
    revision.screening_verdict = report.verdict
    revision.save(update_fields=["screened_at", "screening_verdict"])
    return findings
