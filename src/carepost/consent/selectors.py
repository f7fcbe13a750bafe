"""Reads of the consent register, always scoped to the organisation.

`consent_status` is the one place that answers "may this person appear here now?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.common import clock
from carepost.common.errors import PermissionDenied
from carepost.consent.models import (
    CapacityDecision,
    ConsentRecord,
    DecisionType,
    EvidenceFile,
    Person,
    Representative,
)
from carepost.consent.rules import Decision, PersonFacts, RecordFacts, RepFacts, decide, rule_set

REGISTER_ROLES = (Role.CONSENT_OFFICER, Role.ORG_ADMIN, Role.SAFEGUARDING_LEAD)
EVIDENCE_ROLES = (Role.CONSENT_OFFICER, Role.ORG_ADMIN, Role.SAFEGUARDING_LEAD)


def people_for(*, membership: Membership) -> QuerySet[Person]:
    """People supported, for tagging and the register (everyone in the organisation)."""
    return (
        Person.objects.filter(organisation=membership.organisation, erased_at__isnull=True)
        .select_related("service")
        .order_by("preferred_name", "legal_name")
    )


def person_for(*, membership: Membership, person_id: int) -> Person:
    person = (
        Person.objects.filter(pk=person_id, organisation=membership.organisation)
        .select_related("service", "organisation")
        .first()
    )
    if person is None:
        raise Http404("No such person")
    return person


def consent_record_for(*, membership: Membership, record_id: int) -> ConsentRecord:
    record = (
        ConsentRecord.objects.filter(pk=record_id, person__organisation=membership.organisation)
        .select_related("person")
        .first()
    )
    if record is None:
        raise Http404("No such consent")
    return record


def require_register_role(membership: Membership) -> None:
    if not membership.has_role(*REGISTER_ROLES):
        raise PermissionDenied(
            "Only the consent officer, safeguarding lead and administrators see the consent register."
        )


def evidence_for(*, membership: Membership, evidence_id: int) -> EvidenceFile:
    evidence = EvidenceFile.objects.filter(
        pk=evidence_id, organisation=membership.organisation
    ).first()
    if evidence is None:
        raise Http404("No such file")
    if not membership.has_role(*EVIDENCE_ROLES):
        raise PermissionDenied(
            "Only the consent officer, safeguarding lead and administrators can open evidence."
        )
    return evidence


def _age_on(dob: date | None, on: date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def capacity_on(person: Person, on: date) -> str | None:
    decision = (
        CapacityDecision.objects.filter(
            person=person, decision_type=DecisionType.PUBLICATION, assessed_on__lte=on
        )
        .order_by("-assessed_on", "-id")
        .first()
    )
    return decision.outcome if decision else None


@dataclass(frozen=True)
class ConsentStatus:
    allowed: bool
    code: str
    reason: str
    records: tuple[ConsentRecord, ...]
    sources: tuple[str, ...]


def consent_status(
    *, person: Person, media: str, channel: object, at: datetime | None = None
) -> ConsentStatus:
    """May `person` appear in `media` on `channel` at `at` (default now)? With the reason."""
    at = at or clock.now()
    on = timezone.localdate(at)
    rules = rule_set(person.organisation.jurisdiction)
    facts = PersonFacts(
        name=person.display_name,
        age=_age_on(person.date_of_birth, on),
        capacity=capacity_on(person, on),
        do_not_publish=person.do_not_publish,
        do_not_photograph=person.do_not_photograph,
        do_not_name=person.do_not_name,
        looked_after=person.looked_after,
        childrens_hearing=person.childrens_hearing,
    )
    reps = [
        RepFacts(
            id=r.pk,
            name=r.name,
            authority=r.authority,
            covers_publicity=r.covers_publicity,
            in_force=r.valid_from <= on and (r.valid_until is None or on <= r.valid_until),
        )
        for r in person.representatives.all()
    ]
    records = list(
        ConsentRecord.objects.filter(person=person)
        .select_related("withdrawal", "representative")
        .prefetch_related(Prefetch("channels"))
    )
    channel_id = getattr(channel, "pk", None)
    record_facts = [
        RecordFacts(
            id=r.pk,
            kind=r.kind,
            rep_id=r.representative_id,
            covers=media in (r.media or [])
            and (r.all_public_channels or any(c.pk == channel_id for c in r.channels.all())),
            valid_from=r.valid_from,
            valid_until=r.valid_until,
            withdrawn_on=timezone.localdate(r.withdrawal.withdrawn_at)
            if hasattr(r, "withdrawal")
            else None,
        )
        for r in records
    ]
    decision: Decision = decide(rules, facts, reps, record_facts, media, str(channel), on)
    by_id = {r.pk: r for r in records}
    return ConsentStatus(
        allowed=decision.allowed,
        code=decision.code,
        reason=decision.message,
        records=tuple(by_id[i] for i in decision.relied_on),
        sources=tuple(s for s in decision.sources if s),
    )


@dataclass(frozen=True)
class PersonRegister:
    person: Person
    capacity: list[CapacityDecision]
    representatives: list[Representative]
    records: list[ConsentRecord]


def person_register(*, membership: Membership, person_id: int) -> PersonRegister:
    require_register_role(membership)
    person = person_for(membership=membership, person_id=person_id)
    return PersonRegister(
        person=person,
        capacity=list(
            person.capacity_decisions.select_related("recorded_by").order_by("-assessed_on", "-id")
        ),
        representatives=list(
            person.representatives.select_related("evidence").order_by("-valid_from", "-id")
        ),
        records=list(
            person.consent_records.select_related(
                "representative", "withdrawal", "evidence", "recorded_by"
            )
            .prefetch_related("channels")
            .order_by("-recorded_at", "-id")
        ),
    )


def consents_due_for_review(
    *, organisation: Organisation, within_days: int = 30
) -> QuerySet[ConsentRecord]:
    """Current consents ending within `within_days`, soonest first."""
    today = clock.today()
    return (
        ConsentRecord.objects.filter(
            person__organisation=organisation,
            person__erased_at__isnull=True,
            kind=ConsentRecord.Kind.CONSENT,
            withdrawal__isnull=True,
            valid_from__lte=today,
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=within_days),
        )
        .select_related("person", "representative")
        .order_by("valid_until", "id")
    )
