"""Reads of policies and attestations, scoped to the member's organisation and role."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.accounts.selectors import direct_reports
from carepost.common.errors import PermissionDenied
from carepost.policies import codes
from carepost.policies.due import AttestationFact, State, Status, VersionFact, attestation_status
from carepost.policies.models import (
    Attestation,
    Policy,
    PolicySection,
    PolicyVersion,
    SectionReference,
    StaffPlacement,
)
from carepost.policies.text import DiffLine, diff_lines


def _member_or_403(membership: Membership) -> None:
    if not membership.is_active:
        raise PermissionDenied("Your membership of this organisation has ended.")


def policies_for(*, membership: Membership) -> QuerySet[Policy]:
    _member_or_403(membership)
    return Policy.objects.filter(organisation=membership.organisation).order_by("title")


def policy_for(*, membership: Membership, policy_id: int) -> Policy:
    """Every member may read the organisation's policies; another organisation's is 404."""
    policy = policies_for(membership=membership).filter(pk=policy_id).first()
    if policy is None:
        raise Http404("No such policy")
    return policy


def policy_for_admin(*, membership: Membership, policy_id: int) -> Policy:
    policy = policy_for(membership=membership, policy_id=policy_id)
    if not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can change policies.")
    return policy


def version_for(*, policy: Policy, number: int) -> PolicyVersion:
    version = policy.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such version")
    return version


def current_version(*, policy: Policy, today: date | None = None) -> PolicyVersion | None:
    today = today or timezone.localdate()
    return policy.versions.filter(effective_from__lte=today).order_by("-number").first()


# Status: the facts for the pure function, read in bulk.


def _facts(policies: list[Policy]) -> dict[int, list[VersionFact]]:
    out: dict[int, list[VersionFact]] = defaultdict(list)
    for v in PolicyVersion.objects.filter(policy__in=policies).only(
        "policy_id", "number", "effective_from", "requires_reattestation"
    ):
        out[v.policy_id].append(VersionFact(v.number, v.effective_from, v.requires_reattestation))
    return out


def _attestation_facts(
    memberships: list[Membership], policies: list[Policy]
) -> dict[tuple[int, int], list[AttestationFact]]:
    out: dict[tuple[int, int], list[AttestationFact]] = defaultdict(list)
    rows = Attestation.objects.filter(membership__in=memberships, policy__in=policies).values_list(
        "membership_id", "policy_id", "version__number", "attested_at"
    )
    for membership_id, policy_id, number, at in rows:
        out[(membership_id, policy_id)].append(AttestationFact(number, timezone.localdate(at)))
    return out


def _left_on(member: Membership) -> date | None:
    return None if member.is_active else timezone.localdate(member.updated_at)


@dataclass
class StatusRow:
    member: Membership
    policy: Policy
    status: Status


def statuses(*, members: list[Membership], policies: list[Policy], today: date) -> list[StatusRow]:
    versions = _facts(policies)
    attestations = _attestation_facts(members, policies)
    rows = []
    for member in members:
        for policy in policies:
            status = attestation_status(
                joined=timezone.localdate(member.created_at),
                left=_left_on(member),
                versions=versions.get(policy.pk, []),
                cycle_months=policy.review_cycle_months,
                attestations=attestations.get((member.pk, policy.pk), []),
                today=today,
            )
            rows.append(StatusRow(member, policy, status))
    return rows


def my_statuses(*, membership: Membership, today: date | None = None) -> list[StatusRow]:
    today = today or timezone.localdate()
    policies = list(policies_for(membership=membership))
    return statuses(members=[membership], policies=policies, today=today)


def status_for(*, membership: Membership, policy: Policy, today: date | None = None) -> Status:
    today = today or timezone.localdate()
    return statuses(members=[membership], policies=[policy], today=today)[0].status


def team_statuses(*, membership: Membership, today: date | None = None) -> list[StatusRow]:
    """A line manager's direct reports: every policy that is due or overdue for them."""
    _member_or_403(membership)
    if not membership.has_role(Role.LINE_MANAGER):
        raise PermissionDenied("Only line managers have a team list.")
    today = today or timezone.localdate()
    reports = list(direct_reports(membership=membership))
    policies = list(policies_for(membership=membership))
    rows = statuses(members=reports, policies=policies, today=today)
    order = {State.OVERDUE: 0, State.DUE: 1}
    return sorted(
        (r for r in rows if r.status.needs_action),
        key=lambda r: (order[r.status.state], r.status.due_on or today, r.member.user.username),
    )


@dataclass
class CoverageRow:
    label: str
    members: int = 0
    required: int = 0
    covered: int = 0
    due: int = 0
    overdue: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.required) if self.required else 100


@dataclass
class Coverage:
    rows: list[CoverageRow]
    total: CoverageRow
    by_policy: list[CoverageRow] = field(default_factory=list)


def coverage(*, membership: Membership, today: date | None = None) -> Coverage:
    """For the org admin: how many required reads are covered, per service and per policy."""
    _member_or_403(membership)
    if not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can see coverage.")
    today = today or timezone.localdate()
    members = list(
        Membership.objects.filter(
            organisation=membership.organisation, is_active=True
        ).select_related("user")
    )
    placements = {
        p.membership_id: p.service.name
        for p in StaffPlacement.objects.filter(membership__in=members).select_related("service")
    }
    policies = list(policies_for(membership=membership))
    by_service: dict[str, CoverageRow] = {}
    by_policy: dict[int, CoverageRow] = {p.pk: CoverageRow(p.title) for p in policies}
    total = CoverageRow("All services")
    counted: set[int] = set()
    for row in statuses(members=members, policies=policies, today=today):
        label = placements.get(row.member.pk, "No service recorded")
        target = by_service.setdefault(label, CoverageRow(label))
        if row.member.pk not in counted:
            counted.add(row.member.pk)
            target.members += 1
            total.members += 1
        if row.status.state == State.NOT_REQUIRED:
            continue
        for r in (target, total, by_policy[row.policy.pk]):
            r.required += 1
            r.covered += row.status.covered
            r.due += row.status.state == State.DUE and not row.status.covered
            r.overdue += row.status.state == State.OVERDUE
    rows = sorted(by_service.values(), key=lambda r: (r.label == "No service recorded", r.label))
    return Coverage(rows=rows, total=total, by_policy=list(by_policy.values()))


# The policy page.


@dataclass
class SectionView:
    section: PolicySection
    codes: list[codes.Code]
    references: list[SectionReference]
    referenced_by: list[SectionReference]


@dataclass
class PolicyPage:
    policy: Policy
    version: PolicyVersion
    current: PolicyVersion | None
    versions: list[PolicyVersion]
    sections: list[SectionView]
    adopted: list[codes.Code]
    edition: codes.Edition
    status: Status
    preamble: str
    referenced_by_elsewhere: list[SectionReference]


def policy_page(*, membership: Membership, policy_id: int, number: int | None = None) -> PolicyPage:
    policy = policy_for(membership=membership, policy_id=policy_id)
    today = timezone.localdate()
    current = current_version(policy=policy, today=today)
    versions = list(policy.versions.select_related("published_by", "owner").order_by("-number"))
    if number is not None:
        version = next((v for v in versions if v.number == number), None)
        if version is None:
            raise Http404("No such version")
    else:
        version = current or versions[-1]
    # Incoming references: sections of other policies' current versions that point here.
    incoming = [
        ref
        for ref in SectionReference.objects.filter(target_policy=policy)
        .exclude(section__version__policy=policy)
        .select_related("section__version__policy")
        if current_version(policy=ref.section.version.policy, today=today) == ref.section.version
    ]
    sections = []
    for section in version.sections.prefetch_related("references__target_policy"):
        sections.append(
            SectionView(
                section=section,
                codes=codes.codes_for(section.codes, version.code_edition),
                references=list(section.references.all()),
                referenced_by=[r for r in incoming if r.target_anchor == section.anchor],
            )
        )
    from carepost.policies.text import parse_body

    return PolicyPage(
        policy=policy,
        version=version,
        current=current,
        versions=versions,
        sections=sections,
        adopted=codes.codes_for(version.adopted_codes, version.code_edition),
        edition=codes.edition(version.code_edition),
        status=status_for(membership=membership, policy=policy, today=today),
        preamble=parse_body(version.body).preamble,
        referenced_by_elsewhere=[r for r in incoming if not r.target_anchor],
    )


@dataclass
class VersionDiff:
    policy: Policy
    old: PolicyVersion
    new: PolicyVersion
    lines: list[DiffLine]
    added: int
    removed: int


def version_diff(
    *, membership: Membership, policy_id: int, old: int | None = None, new: int | None = None
) -> VersionDiff:
    """Changes between two versions. Defaults: the member's last read (or the previous
    version) against the current one."""
    policy = policy_for(membership=membership, policy_id=policy_id)
    current = current_version(policy=policy) or policy.versions.order_by("-number").first()
    assert current is not None
    new_v = version_for(policy=policy, number=new) if new else current
    if old:
        old_v = version_for(policy=policy, number=old)
    else:
        last_read = (
            Attestation.objects.filter(membership=membership, policy=policy)
            .exclude(version=new_v)
            .order_by("-attested_at")
            .select_related("version")
            .first()
        )
        old_v = (
            last_read.version
            if last_read and last_read.version.number < new_v.number
            else version_for(policy=policy, number=max(1, new_v.number - 1))
        )
    lines = diff_lines(old_v.body, new_v.body)
    return VersionDiff(
        policy=policy,
        old=old_v,
        new=new_v,
        lines=lines,
        added=sum(1 for line in lines if line.kind == "added"),
        removed=sum(1 for line in lines if line.kind == "removed"),
    )


def my_attestations(*, membership: Membership, policy: Policy) -> QuerySet[Attestation]:
    return (
        Attestation.objects.filter(membership=membership, policy=policy)
        .select_related("version")
        .order_by("-attested_at")
    )


def placements_for(*, membership: Membership) -> list[tuple[Membership, StaffPlacement | None]]:
    if not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can record where people work.")
    members = list(
        Membership.objects.filter(organisation=membership.organisation, is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    placements = {
        p.membership_id: p
        for p in StaffPlacement.objects.filter(membership__in=members).select_related("service")
    }
    return [(m, placements.get(m.pk)) for m in members]


def member_for(*, membership: Membership, member_id: int) -> Membership:
    member = Membership.objects.filter(organisation=membership.organisation, pk=member_id).first()
    if member is None:
        raise Http404("No such member")
    return member
