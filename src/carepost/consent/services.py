"""Every write to the consent register. Each change re-checks live publications (I2)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import date

from django.conf import settings
from django.db import transaction

from carepost.accounts.models import Membership, Service
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common import clock
from carepost.common.crypto import encrypt
from carepost.common.dates import add_months
from carepost.common.errors import ConflictError, PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.consent.models import (
    FLAG_FIELDS,
    AuthorityType,
    CapacityDecision,
    ConsentMethod,
    ConsentRecord,
    ConsentWithdrawal,
    EvidenceFile,
    Media,
    Person,
    Representative,
)
from carepost.consent.rules import rule_set
from carepost.publishing.models import Channel

WRITE_ROLES = (Role.CONSENT_OFFICER, Role.ORG_ADMIN)


def _require_officer(membership: Membership, person: Person | None = None) -> None:
    if person is not None and person.organisation_id != membership.organisation_id:
        raise PermissionDenied("That person is supported by another organisation.")
    if not membership.has_role(*WRITE_ROLES):
        raise PermissionDenied(
            "Only the consent officer or an administrator can change the consent register."
        )
    if person is not None and person.erased_at is not None:
        raise ValidationFailed("This person's record has been erased.")


def _recheck_after_commit(person: Person, reason: str) -> None:
    """Wake the worker to take down anything featuring the person that is no longer allowed."""
    from carepost.consent import tasks

    enqueue_on_commit(tasks.recheck_person_publications, person.pk, reason)


def person_create(
    *,
    membership: Membership,
    service: Service,
    legal_name: str,
    preferred_name: str = "",
    aliases: Sequence[str] = (),
    date_of_birth: date | None = None,
    flags: dict[str, bool] | None = None,
) -> Person:
    _require_officer(membership)
    if service.organisation_id != membership.organisation_id:
        raise PermissionDenied("That service belongs to another organisation.")
    if not legal_name.strip():
        raise ValidationFailed("Enter the person's full name.")
    flags = {k: v for k, v in (flags or {}).items() if k in FLAG_FIELDS}
    with transaction.atomic():
        person = Person.objects.create(
            organisation=membership.organisation,
            service=service,
            legal_name=legal_name.strip(),
            preferred_name=preferred_name.strip(),
            aliases=[a.strip() for a in aliases if a.strip()],
            date_of_birth=date_of_birth,
            **flags,
        )
        audit_event_record(
            action="person.created",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={"service": service.pk, "flags": sorted(k for k, v in flags.items() if v)},
        )
    return person


def person_update(
    *,
    membership: Membership,
    person: Person,
    legal_name: str,
    preferred_name: str,
    aliases: Sequence[str],
    date_of_birth: date | None,
    service: Service,
    flags: dict[str, bool],
) -> Person:
    """Change details and override flags; anything published is re-checked at once."""
    _require_officer(membership, person)
    if service.organisation_id != membership.organisation_id:
        raise PermissionDenied("That service belongs to another organisation.")
    if not legal_name.strip():
        raise ValidationFailed("Enter the person's full name.")
    changed_flags = {
        k: bool(flags.get(k)) for k in FLAG_FIELDS if bool(flags.get(k)) != getattr(person, k)
    }
    with transaction.atomic():
        Person.objects.filter(pk=person.pk).update(
            legal_name=legal_name.strip(),
            preferred_name=preferred_name.strip(),
            aliases=[a.strip() for a in aliases if a.strip()],
            date_of_birth=date_of_birth,
            service=service,
            updated_at=clock.now(),
            **{k: bool(flags.get(k)) for k in FLAG_FIELDS},
        )
        person.refresh_from_db()
        audit_event_record(
            action="person.updated",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={"flags_changed": changed_flags},
        )
        _recheck_after_commit(person, "the person's details or instructions changed")
    return person


def capacity_decision_record(
    *,
    membership: Membership,
    person: Person,
    outcome: str,
    assessed_on: date,
    assessed_by: str,
    review_on: date | None = None,
    notes: str = "",
) -> CapacityDecision:
    _require_officer(membership, person)
    if outcome not in CapacityDecision.Outcome.values:
        raise ValidationFailed("Choose whether the person has capacity for this decision.")
    if not assessed_by.strip():
        raise ValidationFailed(
            "Name who assessed capacity, and their role: a decision needs a named assessor."
        )
    if assessed_on > clock.today():
        raise ValidationFailed("The assessment date cannot be in the future.")
    if review_on is not None and review_on <= assessed_on:
        raise ValidationFailed("The review date must be after the assessment.")
    with transaction.atomic():
        decision = CapacityDecision.objects.create(
            person=person,
            outcome=outcome,
            assessed_on=assessed_on,
            assessed_by=assessed_by.strip(),
            review_on=review_on,
            notes=notes.strip(),
            recorded_by=membership.user,
        )
        audit_event_record(
            action="capacity.recorded",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "decision": decision.pk,
                "outcome": outcome,
                "assessed_on": assessed_on.isoformat(),
            },
        )
        _recheck_after_commit(person, "a capacity decision was recorded")
    return decision


def evidence_store(
    *, membership: Membership, person: Person, data: bytes, name: str, content_type: str
) -> EvidenceFile:
    """Encrypt and keep an uploaded form or authority document (inside the caller's transaction)."""
    if not data:
        raise ValidationFailed(
            "The uploaded file is empty. Please scan or photograph the form again."
        )
    if len(data) > settings.CAREPOST_EVIDENCE_MAX_BYTES:
        limit = settings.CAREPOST_EVIDENCE_MAX_BYTES // 2**20
        raise ValidationFailed(
            f"The uploaded file is larger than {limit} MB. Please use a smaller scan."
        )
    allowed = {"application/pdf", "image/jpeg", "image/png", "image/webp"}
    if content_type not in allowed:
        raise ValidationFailed("Upload the signed form as a PDF, JPEG or PNG.")
    return EvidenceFile.objects.create(
        organisation=membership.organisation,
        person=person,
        original_name=name[:255] or "evidence",
        content_type=content_type,
        size=len(data),
        ciphertext=encrypt(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=membership.user,
    )


def _optional_evidence(
    membership: Membership, person: Person, evidence: tuple[bytes, str, str] | None
) -> EvidenceFile | None:
    if evidence is None:
        return None
    data, name, content_type = evidence
    return evidence_store(
        membership=membership, person=person, data=data, name=name, content_type=content_type
    )


def representative_record(
    *,
    membership: Membership,
    person: Person,
    name: str,
    relationship: str,
    authority: str,
    covers_publicity: bool,
    valid_from: date,
    valid_until: date | None = None,
    evidence_reference: str = "",
    evidence: tuple[bytes, str, str] | None = None,
) -> Representative:
    _require_officer(membership, person)
    if authority not in AuthorityType.values:
        raise ValidationFailed("Choose the kind of authority this person has.")
    if not name.strip() or not relationship.strip():
        raise ValidationFailed(
            "Enter the representative's name and their relationship to the person."
        )
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("The end date must be after the start date.")
    rules = rule_set(person.organisation.jurisdiction)
    legal = (
        rules.lacking_capacity_authorities
        | rules.child_authorities
        | rules.looked_after_also_requires
    )
    if authority not in legal and authority not in rules.never_consent:
        raise ValidationFailed(
            f"That kind of authority does not exist in {rules.name}. Choose one of the listed kinds."
        )
    if authority in rules.lacking_capacity_authorities and not (
        evidence or evidence_reference.strip()
    ):
        raise ValidationFailed(
            "A welfare attorney, guardian or intervention order needs evidence: upload the document "
            "or give its reference."
        )
    with transaction.atomic():
        evidence_file = _optional_evidence(membership, person, evidence)
        rep = Representative.objects.create(
            person=person,
            name=name.strip(),
            relationship=relationship.strip(),
            authority=authority,
            covers_publicity=covers_publicity and authority not in rules.never_consent,
            evidence_reference=evidence_reference.strip(),
            evidence=evidence_file,
            valid_from=valid_from,
            valid_until=valid_until,
            recorded_by=membership.user,
        )
        audit_event_record(
            action="representative.recorded",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "representative": rep.pk,
                "authority": authority,
                "covers_publicity": rep.covers_publicity,
            },
        )
        _recheck_after_commit(person, "a representative was recorded")
    return rep


def representative_end(
    *, membership: Membership, representative: Representative, ended_on: date
) -> Representative:
    person = representative.person
    _require_officer(membership, person)
    if ended_on < representative.valid_from:
        raise ValidationFailed("The end date must be after the start date.")
    with transaction.atomic():
        if not Representative.objects.filter(pk=representative.pk, valid_until__isnull=True).update(
            valid_until=ended_on, updated_at=clock.now()
        ):
            raise ConflictError("This representative's authority has already ended.")
        representative.refresh_from_db()
        audit_event_record(
            action="representative.ended",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={"representative": representative.pk, "ended_on": ended_on.isoformat()},
        )
        _recheck_after_commit(person, "a representative's authority ended")
    return representative


def consent_record(
    *,
    membership: Membership,
    person: Person,
    media: Iterable[str],
    channels: Sequence[Channel] = (),
    all_public_channels: bool = False,
    method: str,
    representative: Representative | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    witness: str = "",
    evidence: tuple[bytes, str, str] | None = None,
    persons_own_view: str = "",
    kind: str = ConsentRecord.Kind.CONSENT,
) -> ConsentRecord:
    """Record a consent (or an objection) exactly as offered on the form."""
    _require_officer(membership, person)
    media = sorted(set(media))
    if not media or any(m not in Media.values for m in media):
        raise ValidationFailed("Choose what the consent covers: name, photo, video or story.")
    if not all_public_channels and not channels:
        raise ValidationFailed("Choose the channels it covers, or all public channels.")
    if any(getattr(c, "organisation_id", None) != membership.organisation_id for c in channels):
        raise PermissionDenied("That channel belongs to another organisation.")
    if method not in ConsentMethod.values:
        raise ValidationFailed("Say how the consent was given.")
    if method == ConsentMethod.VERBAL_WITNESSED and not witness.strip():
        raise ValidationFailed("Verbal consent needs the name of the witness.")
    if method in (ConsentMethod.SIGNED_FORM, ConsentMethod.EASY_READ_FORM) and evidence is None:
        raise ValidationFailed(
            "Upload the signed form, or record the consent as verbal with a witness."
        )
    if representative is not None and representative.person_id != person.pk:
        raise PermissionDenied("That representative acts for someone else.")
    rules = rule_set(person.organisation.jurisdiction)
    if (
        representative is not None
        and representative.authority in rules.never_consent
        and kind == ConsentRecord.Kind.CONSENT
    ):
        raise ValidationFailed(
            f"{representative.name} can be consulted but cannot consent for {person.display_name}. "
            "Record their views in the notes instead."
        )
    start = valid_from or clock.today()
    end = valid_until or add_months(start, rules.default_validity_months)
    if end < start:
        raise ValidationFailed("The consent must end after it starts.")
    with transaction.atomic():
        evidence_file = _optional_evidence(membership, person, evidence)
        record = ConsentRecord.objects.create(
            person=person,
            kind=kind,
            representative=representative,
            media=media,
            all_public_channels=all_public_channels,
            valid_from=start,
            valid_until=end,
            method=method,
            witness=witness.strip(),
            evidence=evidence_file,
            persons_own_view=persons_own_view.strip(),
            recorded_by=membership.user,
        )
        record.channels.set(channels)
        audit_event_record(
            action=f"consent.{kind}_recorded",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "record": record.pk,
                "media": media,
                "channels": "all public"
                if all_public_channels
                else [getattr(c, "pk", None) for c in channels],
                "valid_until": end.isoformat(),
                "representative": representative.pk if representative else None,
            },
        )
        if kind == ConsentRecord.Kind.OBJECTION:
            _recheck_after_commit(person, "an objection was recorded")
    return record


def consent_withdraw(
    *, membership: Membership, record: ConsentRecord, reason: str = ""
) -> ConsentWithdrawal:
    """Withdraw in one step; every live publication that relied on it comes down."""
    person = record.person
    _require_officer(membership, person)
    with transaction.atomic():
        if ConsentWithdrawal.objects.filter(record=record).exists():
            raise ConflictError("This consent has already been withdrawn.")
        withdrawal = ConsentWithdrawal.objects.create(
            record=record,
            withdrawn_at=clock.now(),
            reason=reason.strip(),
            recorded_by=membership.user,
        )
        audit_event_record(
            action="consent.withdrawn",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={"record": record.pk},
        )
        _recheck_after_commit(person, "consent was withdrawn")
    return withdrawal
