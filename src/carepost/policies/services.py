"""Every write to policies: publishing versions, attesting, placements, reminders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from carepost.accounts.models import Membership, Service, User
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.common.tasks import enqueue_on_commit
from carepost.policies import codes
from carepost.policies.models import (
    Attestation,
    AttestationReminder,
    Policy,
    PolicySection,
    PolicyVersion,
    SectionReference,
    StaffPlacement,
)
from carepost.policies.text import parse_body

ATTESTATION_STATEMENT = "I have read and understood this version of the policy."
MAX_BODY = 100_000


@dataclass
class VersionInput:
    body: str
    summary_of_changes: str
    effective_from: date
    requires_reattestation: bool = True
    adopted_codes: list[str] = field(default_factory=list)
    owner: User | None = None


def _require_admin(membership: Membership) -> None:
    if not membership.is_active or not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can change policies.")


def _same_org(membership: Membership, policy: Policy) -> None:
    if policy.organisation_id != membership.organisation_id:
        raise PermissionDenied("That policy belongs to another organisation.")


def _validate_version(
    policy: Policy, data: VersionInput
) -> list[tuple[PolicySection, list[tuple[Policy, str]]]]:
    """Check the text and its mappings; return unsaved sections with their references."""
    body = data.body.strip()
    if not body:
        raise ValidationFailed("Write the policy text.")
    if len(body) > MAX_BODY:
        raise ValidationFailed("The policy text is too long. Split it into separate policies.")
    if not data.summary_of_changes.strip():
        raise ValidationFailed("Say in a sentence what this version changes, for the readers.")
    unknown = codes.unknown_codes(data.adopted_codes, policy.code_edition)
    parsed = parse_body(body)
    if parsed.problems:
        raise ValidationFailed(" ".join(parsed.problems))
    for parsed_section in parsed.sections:
        unknown += codes.unknown_codes(parsed_section.codes, policy.code_edition)
    if unknown:
        raise ValidationFailed(
            f"These are not Code numbers in the {policy.code_edition} Codes: "
            f"{', '.join(sorted(set(unknown)))}. Check them on the Codes page."
        )
    slugs = {r.policy_slug for s in parsed.sections for r in s.references}
    targets = {
        p.slug: p
        for p in Policy.objects.filter(organisation_id=policy.organisation_id, slug__in=slugs)
    }
    missing = sorted(slugs - set(targets) - {policy.slug})
    if missing:
        raise ValidationFailed(
            f"There is no policy with the short name {', '.join(missing)}. "
            "Create it first, or correct the “See:” line."
        )
    targets[policy.slug] = policy
    out: list[tuple[PolicySection, list[tuple[Policy, str]]]] = []
    for i, parsed_section in enumerate(parsed.sections):
        section = PolicySection(
            position=i,
            heading=parsed_section.heading[:300],
            anchor=parsed_section.anchor[:120],
            body=parsed_section.body,
            codes=parsed_section.codes,
        )
        refs = [(targets[r.policy_slug], r.anchor) for r in parsed_section.references]
        out.append((section, refs))
    return out


def _create_version(
    *, membership: Membership, policy: Policy, number: int, data: VersionInput, first: bool
) -> PolicyVersion:
    sections = _validate_version(policy, data)
    adopted = sorted(
        set(data.adopted_codes) | {c for s, _ in sections for c in s.codes},
        key=lambda n: tuple(int(p) for p in n.split(".")),
    )
    try:
        with transaction.atomic():
            version = PolicyVersion.objects.create(
                policy=policy,
                number=number,
                body=data.body.strip(),
                summary_of_changes=data.summary_of_changes.strip()[:1000],
                effective_from=data.effective_from,
                requires_reattestation=True if first else data.requires_reattestation,
                code_edition=policy.code_edition,
                adopted_codes=adopted,
                owner=data.owner or membership.user,
                published_by=membership.user,
                published_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise ConflictError(
            "Someone else published a new version of this policy a moment ago. "
            "Reload the page and check their changes first."
        ) from exc
    for section, _ in sections:
        section.version = version
    PolicySection.objects.bulk_create([s for s, _ in sections])
    SectionReference.objects.bulk_create(
        [
            SectionReference(section=s, target_policy=target, target_anchor=anchor)
            for s, refs in sections
            for target, anchor in refs
        ]
    )
    return version


def policy_create(
    *,
    membership: Membership,
    title: str,
    slug: str,
    first_version: VersionInput,
    review_cycle_months: int = 12,
    code_edition: str = codes.DEFAULT_EDITION,
) -> Policy:
    _require_admin(membership)
    title = title.strip()
    if not title:
        raise ValidationFailed("Give the policy a title.")
    if not 0 <= review_cycle_months <= 60:
        raise ValidationFailed("The review cycle must be between 0 and 60 months.")
    if code_edition not in codes.EDITIONS:
        raise ValidationFailed("Choose the 2024 or the 2016 Codes.")
    if Policy.objects.filter(organisation=membership.organisation, slug=slug).exists():
        raise ValidationFailed(f"Another policy already has the short name “{slug}”.")
    with transaction.atomic():
        policy = Policy.objects.create(
            organisation=membership.organisation,
            title=title[:200],
            slug=slug,
            review_cycle_months=review_cycle_months,
            code_edition=code_edition,
            created_by=membership.user,
        )
        version = _create_version(
            membership=membership, policy=policy, number=1, data=first_version, first=True
        )
        audit_event_record(
            action="policy.created",
            subject=policy,
            actor=membership.user,
            organisation=membership.organisation,
            data={"slug": slug, "version": version.number, "cycle_months": review_cycle_months},
        )
        _enqueue_reminders(membership)
    return policy


def policy_version_publish(
    *, membership: Membership, policy: Policy, expected_number: int, data: VersionInput
) -> PolicyVersion:
    """Publish the next version. `expected_number` is the latest version the editor saw."""
    _require_admin(membership)
    _same_org(membership, policy)
    latest = policy.versions.order_by("-number").first()
    assert latest is not None
    if latest.number != expected_number:
        raise ConflictError(
            f"Version {latest.number} was published while you were editing. "
            "Reload the page and check it before publishing yours."
        )
    if data.body.strip() == latest.body.strip():
        raise ValidationFailed("The text is the same as the current version. Change something.")
    if data.effective_from < latest.effective_from:
        raise ValidationFailed(
            f"A new version cannot take effect before version {latest.number} "
            f"({latest.effective_from:%d %B %Y})."
        )
    with transaction.atomic():
        version = _create_version(
            membership=membership,
            policy=policy,
            number=latest.number + 1,
            data=data,
            first=False,
        )
        audit_event_record(
            action="policy.version_published",
            subject=policy,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "version": version.number,
                "effective_from": version.effective_from.isoformat(),
                "requires_reattestation": version.requires_reattestation,
            },
        )
        _enqueue_reminders(membership)
    return version


def policy_settings_update(
    *, membership: Membership, policy: Policy, title: str, review_cycle_months: int
) -> Policy:
    _require_admin(membership)
    _same_org(membership, policy)
    if not title.strip():
        raise ValidationFailed("Give the policy a title.")
    if not 0 <= review_cycle_months <= 60:
        raise ValidationFailed("The review cycle must be between 0 and 60 months.")
    with transaction.atomic():
        before = {"title": policy.title, "cycle_months": policy.review_cycle_months}
        Policy.objects.filter(pk=policy.pk).update(
            title=title.strip()[:200],
            review_cycle_months=review_cycle_months,
            updated_at=timezone.now(),
        )
        policy.refresh_from_db()
        audit_event_record(
            action="policy.settings_changed",
            subject=policy,
            actor=membership.user,
            organisation=membership.organisation,
            data={"before": before, "cycle_months": review_cycle_months},
        )
    return policy


def attestation_record(
    *, membership: Membership, version: PolicyVersion, now: datetime | None = None
) -> Attestation:
    """The member confirms they have read and understood this exact, current version."""
    now = now or timezone.now()
    policy = version.policy
    if policy.organisation_id != membership.organisation_id:
        raise PermissionDenied("That policy belongs to another organisation.")
    if not membership.is_active:
        raise PermissionDenied("Your membership of this organisation has ended.")
    today = timezone.localdate(now)
    current = policy.versions.filter(effective_from__lte=today).order_by("-number").first()
    if current is None:
        raise InvalidTransition("This policy has no version in effect yet.")
    if current.pk != version.pk:
        raise InvalidTransition(
            f"Version {version.number} is not the current version. "
            f"Read version {current.number} and confirm that one instead."
        )
    with transaction.atomic():
        attestation = Attestation.objects.create(
            organisation=membership.organisation,
            membership=membership,
            policy=policy,
            version=version,
            attested_at=now,
            statement=ATTESTATION_STATEMENT,
        )
        audit_event_record(
            action="policy.attested",
            subject=attestation,
            actor=membership.user,
            organisation=membership.organisation,
            data={"policy": policy.pk, "version": version.number},
        )
    return attestation


def staff_placement_set(
    *, membership: Membership, member: Membership, service: Service | None
) -> StaffPlacement | None:
    """Record where a member mainly works (for coverage per service); None clears it."""
    _require_admin(membership)
    if member.organisation_id != membership.organisation_id:
        raise PermissionDenied("That person is in another organisation.")
    if service is not None and service.organisation_id != membership.organisation_id:
        raise PermissionDenied("That service belongs to another organisation.")
    with transaction.atomic():
        StaffPlacement.objects.filter(membership=member).delete()
        placement = (
            StaffPlacement.objects.create(membership=member, service=service) if service else None
        )
        audit_event_record(
            action="staff.placement_set",
            subject=member,
            actor=membership.user,
            organisation=membership.organisation,
            data={"service": service.pk if service else None},
        )
    return placement


def reminder_claim(
    *, membership: Membership, version: PolicyVersion, kind: str, due_on: date
) -> AttestationReminder | None:
    """Claim the right to send one reminder. None if it was already claimed (sent)."""
    try:
        with transaction.atomic():
            reminder = AttestationReminder.objects.create(
                membership=membership,
                version=version,
                kind=kind,
                due_on=due_on,
                claimed_at=timezone.now(),
            )
            audit_event_record(
                action="policy.reminder_claimed",
                subject=reminder,
                organisation=membership.organisation,
                data={"member": membership.pk, "version": version.pk, "kind": kind},
            )
    except IntegrityError:
        return None
    return reminder


def reminder_mark_sent(*, reminder: AttestationReminder) -> None:
    with transaction.atomic():
        AttestationReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        audit_event_record(
            action="policy.reminder_sent",
            subject=reminder,
            organisation=reminder.membership.organisation,
            data={"kind": reminder.kind},
        )


def reminder_release(*, reminder: AttestationReminder) -> None:
    """The email could not be sent: drop the claim so the next sweep tries again."""
    with transaction.atomic():
        AttestationReminder.objects.filter(pk=reminder.pk, sent_at__isnull=True).delete()
        audit_event_record(
            action="policy.reminder_failed",
            subject=reminder,
            organisation=reminder.membership.organisation,
            data={"kind": reminder.kind},
        )


def _enqueue_reminders(membership: Membership) -> None:
    from carepost.policies.tasks import attestation_reminders_send

    enqueue_on_commit(attestation_reminders_send, membership.organisation_id)
