"""Reads of the boundaries register, scoped to the organisation and the member's place in it.

- a worker sees only their own connection requests, declarations and check-ups;
- a line manager (the role, and being the worker's `line_manager`) sees their team's;
- an org admin sees an organisation report with counts only;
- nobody sees anything in another organisation (404); the wrong person gets 403.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.accounts.selectors import direct_reports
from carepost.boundaries import rules
from carepost.boundaries.models import (
    BoundaryPolicyVersion,
    ConnectionRequest,
    Declaration,
    DeclarationPlan,
    Notification,
    PrivacyCheckup,
)
from carepost.common.errors import PermissionDenied
from carepost.consent.models import Person

STAFF_ROLES: tuple[str, ...] = tuple(Role.values)

# What a line manager can agree in a plan; the plan text says the rest.
PLAN_MEASURES: dict[str, str] = {
    "not_key_worker": "Not their key worker",
    "no_lone_visits": "No lone visits or lone shifts with them",
    "no_care_decisions": "Not involved in decisions about their care",
    "private_connection": "Any social media connection stays private and is never about work",
    "tell_if_changes": "Tell your line manager if anything changes",
}


# Policy ---------------------------------------------------------------------------------


def policy_version_for(*, organisation: Organisation) -> BoundaryPolicyVersion | None:
    return (
        BoundaryPolicyVersion.objects.filter(organisation=organisation).order_by("-number").first()
    )


def policy_document_for(*, organisation: Organisation) -> tuple[int, dict[str, Any]]:
    """(version number, document). Version 0 is the shipped defaults."""
    version = policy_version_for(organisation=organisation)
    if version is None:
        return 0, rules.default_document()
    return version.number, dict(version.document)


def policy_for(*, organisation: Organisation) -> tuple[int, rules.Policy]:
    number, document = policy_document_for(organisation=organisation)
    return number, rules.policy_from_document(document)


def policy_history(*, membership: Membership) -> QuerySet[BoundaryPolicyVersion]:
    require_org_admin(membership)
    return (
        BoundaryPolicyVersion.objects.filter(organisation=membership.organisation)
        .select_related("created_by")
        .order_by("-number")
    )


# Who may do what -----------------------------------------------------------------------


def require_staff(membership: Membership) -> None:
    if not membership.has_role(*STAFF_ROLES):
        raise PermissionDenied("Your account has no role in this organisation yet.")


def require_org_admin(membership: Membership) -> None:
    if not membership.has_role(Role.ORG_ADMIN):
        raise PermissionDenied("Only an organisation administrator can see this.")


def is_manager(membership: Membership) -> bool:
    return membership.has_role(Role.LINE_MANAGER)


def manages(manager: Membership, worker: Membership) -> bool:
    """The manager holds the line manager role and is this worker's line manager."""
    return (
        is_manager(manager)
        and worker.organisation_id == manager.organisation_id
        and worker.line_manager_id == manager.pk
    )


def team_of(*, membership: Membership) -> QuerySet[Membership]:
    if not is_manager(membership):
        raise PermissionDenied("Only line managers have a team view.")
    return direct_reports(membership=membership)


# Connection requests -------------------------------------------------------------------


def _requests(organisation: Organisation) -> QuerySet[ConnectionRequest]:
    return (
        ConnectionRequest.objects.filter(organisation=organisation)
        .select_related("worker__user", "person", "seen__seen_by__user")
        .order_by("-created_at", "-pk")
    )


def my_connection_requests(*, membership: Membership) -> QuerySet[ConnectionRequest]:
    require_staff(membership)
    return _requests(membership.organisation).filter(worker=membership)


def connection_request_for(*, membership: Membership, request_id: int) -> ConnectionRequest:
    """404 in another organisation; 403 unless it is yours or your team's."""
    item = _requests(membership.organisation).filter(pk=request_id).first()
    if item is None:
        raise Http404("No such connection request")
    if item.worker_id != membership.pk and not manages(membership, item.worker):
        raise PermissionDenied("This connection request belongs to someone else.")
    return item


@dataclass
class RequestFilters:
    worker: int | None = None
    outcome: str = ""
    days: int | None = None
    unseen_only: bool = False


def team_connection_requests(
    *, membership: Membership, filters: RequestFilters | None = None
) -> QuerySet[ConnectionRequest]:
    team = team_of(membership=membership)
    qs = _requests(membership.organisation).filter(worker__in=team)
    f = filters or RequestFilters()
    if f.worker:
        qs = qs.filter(worker_id=f.worker)
    if f.outcome:
        qs = qs.filter(outcome=f.outcome)
    if f.days:
        qs = qs.filter(created_at__gte=timezone.now() - timedelta(days=f.days))
    if f.unseen_only:
        qs = qs.filter(seen__isnull=True)
    return qs


def unseen_team_requests(*, membership: Membership) -> QuerySet[ConnectionRequest]:
    """Requests the policy sent to the manager that they have not opened yet."""
    return team_connection_requests(
        membership=membership, filters=RequestFilters(unseen_only=True)
    ).filter(notify_manager=True)


# Declarations --------------------------------------------------------------------------


class DeclarationStatus:
    AWAITING = "awaiting"
    REVIEW_DUE = "review_due"
    OPEN = "open"
    CLOSED = "closed"

    LABELS = {
        AWAITING: "Waiting for your line manager",
        REVIEW_DUE: "Review due",
        OPEN: "Plan agreed",
        CLOSED: "Closed",
    }
    MANAGER_LABELS = {**LABELS, AWAITING: "Waiting for you to acknowledge"}


@dataclass
class DeclarationRow:
    """A declaration with its current state, computed from its events."""

    declaration: Declaration
    plans: list[DeclarationPlan]
    person: Person | None
    closed: bool
    today: date = field(default_factory=timezone.localdate)

    @property
    def current_plan(self) -> DeclarationPlan | None:
        return self.plans[-1] if self.plans else None

    @property
    def status(self) -> str:
        if self.closed:
            return DeclarationStatus.CLOSED
        plan = self.current_plan
        if plan is None:
            return DeclarationStatus.AWAITING
        if plan.review_on <= self.today:
            return DeclarationStatus.REVIEW_DUE
        return DeclarationStatus.OPEN

    @property
    def status_label(self) -> str:
        return DeclarationStatus.LABELS[self.status]

    @property
    def manager_status_label(self) -> str:
        return DeclarationStatus.MANAGER_LABELS[self.status]

    @property
    def about(self) -> str:
        if self.person is not None:
            return self.person.legal_name
        return f"{self.declaration.referral_name} (referral, not yet on the register)"

    @property
    def is_unlinked_referral(self) -> bool:
        return self.person is None and bool(self.declaration.referral_name)

    @property
    def plan_unread(self) -> bool:
        plan = self.current_plan
        return plan is not None and not hasattr(plan, "read") and not self.closed


def _declarations(organisation: Organisation) -> QuerySet[Declaration]:
    return (
        Declaration.objects.filter(organisation=organisation)
        .select_related(
            "worker__user",
            "person__service",
            "link__person__service",
            "closure__closed_by__user",
        )
        .prefetch_related(
            Prefetch(
                "plans",
                queryset=DeclarationPlan.objects.select_related("agreed_by__user", "read").order_by(
                    "number"
                ),
            )
        )
        .order_by("-created_at", "-pk")
    )


def _row(d: Declaration) -> DeclarationRow:
    link = getattr(d, "link", None)
    return DeclarationRow(
        declaration=d,
        plans=list(d.plans.all()),
        person=d.person or (link.person if link else None),
        closed=hasattr(d, "closure"),
    )


def my_declarations(*, membership: Membership) -> list[DeclarationRow]:
    require_staff(membership)
    return [_row(d) for d in _declarations(membership.organisation).filter(worker=membership)]


def declaration_for(*, membership: Membership, declaration_id: int) -> DeclarationRow:
    d = _declarations(membership.organisation).filter(pk=declaration_id).first()
    if d is None:
        raise Http404("No such declaration")
    if d.worker_id != membership.pk and not manages(membership, d.worker):
        raise PermissionDenied("This declaration belongs to someone else.")
    return _row(d)


def plan_for(*, membership: Membership, plan_id: int) -> DeclarationPlan:
    plan = (
        DeclarationPlan.objects.select_related("declaration__worker")
        .filter(pk=plan_id, declaration__organisation=membership.organisation)
        .first()
    )
    if plan is None:
        raise Http404("No such plan")
    worker = plan.declaration.worker
    if worker.pk != membership.pk and not manages(membership, worker):
        raise PermissionDenied("This plan belongs to someone else.")
    return plan


@dataclass
class DeclarationFilters:
    worker: int | None = None
    status: str = ""


def team_declarations(
    *, membership: Membership, filters: DeclarationFilters | None = None
) -> list[DeclarationRow]:
    team = team_of(membership=membership)
    f = filters or DeclarationFilters()
    qs = _declarations(membership.organisation).filter(worker__in=team)
    if f.worker:
        qs = qs.filter(worker_id=f.worker)
    rows = [_row(d) for d in qs]
    if f.status == "not_closed":
        rows = [r for r in rows if r.status != DeclarationStatus.CLOSED]
    elif f.status:
        rows = [r for r in rows if r.status == f.status]
    return rows


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "the"})


def _name_tokens(text: str) -> set[str]:
    """Lower-case words without accents; initials and titles are not enough to match on."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return {t for t in re.split(r"[^a-z]+", text) if len(t) > 1 and t not in _TITLES}


def person_matches_name(person: Person, name: str) -> bool:
    """Every word of the referral name is one of the person's names, nicknames or aliases."""
    wanted = _name_tokens(name)
    if not wanted:
        return False
    known = _name_tokens(person.legal_name) | _name_tokens(person.preferred_name)
    for alias in person.aliases or []:
        known |= _name_tokens(str(alias))
    return wanted <= known


def link_suggestions(*, membership: Membership, row: DeclarationRow) -> list[Person]:
    """People on the register whose name matches an unlinked referral. Only suggestions:
    somebody has to confirm the link."""
    from carepost.consent.selectors import people_for

    if not row.is_unlinked_referral or row.closed:
        return []
    people = people_for(membership=membership)
    return [p for p in people if person_matches_name(p, row.declaration.referral_name)]


def team_referral_matches(*, membership: Membership) -> list[tuple[DeclarationRow, list[Person]]]:
    rows = [
        r
        for r in team_declarations(membership=membership)
        if r.is_unlinked_referral and not r.closed
    ]
    found = [(r, link_suggestions(membership=membership, row=r)) for r in rows]
    return [(r, people) for r, people in found if people]


# Privacy check-up ----------------------------------------------------------------------


@dataclass
class CheckupStatus:
    last: PrivacyCheckup | None
    joined: date
    interval_days: int
    today: date

    @property
    def next_due(self) -> date:
        """A cycle after the last check-up (or after joining, if there has been none)."""
        start = timezone.localdate(self.last.created_at) if self.last else self.joined
        return start + timedelta(days=self.interval_days)

    @property
    def due(self) -> bool:
        return self.next_due <= self.today


def checkup_status(*, membership: Membership) -> CheckupStatus:
    require_staff(membership)
    _, policy = policy_for(organisation=membership.organisation)
    last = (
        PrivacyCheckup.objects.filter(member=membership, organisation=membership.organisation)
        .order_by("-created_at")
        .first()
    )
    return CheckupStatus(
        last=last,
        joined=timezone.localdate(membership.created_at),
        interval_days=policy.checkup_interval_days,
        today=timezone.localdate(),
    )


# Organisation report -------------------------------------------------------------------


@dataclass
class OrganisationReport:
    since: date
    requests_total: int
    requests_by_outcome: list[tuple[str, int]]
    requests_by_requester: list[tuple[str, int]]
    requests_notified: int
    declarations_awaiting: int
    declarations_open: int
    declarations_review_due: int
    declarations_closed: int
    referrals_unlinked: int
    members_without_manager: int
    checkups_done: int


def organisation_report(*, membership: Membership, days: int = 365) -> OrganisationReport:
    """Counts only: no names, no details."""
    require_org_admin(membership)
    org = membership.organisation
    since = timezone.now() - timedelta(days=days)
    reqs = ConnectionRequest.objects.filter(organisation=org, created_at__gte=since)
    outcomes = Counter(reqs.values_list("outcome", flat=True))
    requesters = Counter(reqs.values_list("requester", flat=True))
    rows = [_row(d) for d in _declarations(org)]
    statuses = Counter(r.status for r in rows)
    return OrganisationReport(
        since=timezone.localdate(since),
        requests_total=sum(outcomes.values()),
        requests_by_outcome=[(label, outcomes.get(k, 0)) for k, label in rules.OUTCOMES.items()],
        requests_by_requester=[
            (label, requesters.get(k, 0)) for k, label in rules.REQUESTERS.items()
        ],
        requests_notified=reqs.filter(notify_manager=True).count(),
        declarations_awaiting=statuses[DeclarationStatus.AWAITING],
        declarations_open=statuses[DeclarationStatus.OPEN],
        declarations_review_due=statuses[DeclarationStatus.REVIEW_DUE],
        declarations_closed=statuses[DeclarationStatus.CLOSED],
        referrals_unlinked=sum(1 for r in rows if r.is_unlinked_referral and not r.closed),
        members_without_manager=Membership.objects.filter(
            organisation=org, is_active=True, line_manager__isnull=True
        )
        .exclude(roles__role=Role.ORG_ADMIN)
        .count(),
        checkups_done=PrivacyCheckup.objects.filter(organisation=org, created_at__gte=since)
        .values("member")
        .distinct()
        .count(),
    )


# Home panel ----------------------------------------------------------------------------


@dataclass
class HomeSummary:
    plans_to_read: list[DeclarationRow]
    checkup_due: bool
    checkup_never: bool
    awaiting_me: int = 0
    reviews_due: int = 0
    unseen_requests: int = 0
    referral_matches: int = 0

    @property
    def for_manager(self) -> bool:
        return bool(
            self.awaiting_me or self.reviews_due or self.unseen_requests or self.referral_matches
        )

    @property
    def anything(self) -> bool:
        return bool(self.plans_to_read or self.checkup_due or self.for_manager)


def home_summary(*, membership: Membership) -> HomeSummary:
    require_staff(membership)
    mine = my_declarations(membership=membership)
    checkup = checkup_status(membership=membership)
    summary = HomeSummary(
        plans_to_read=[r for r in mine if r.plan_unread],
        checkup_due=checkup.due,
        checkup_never=checkup.last is None,
    )
    if is_manager(membership):
        team = team_declarations(membership=membership)
        summary.awaiting_me = sum(1 for r in team if r.status == DeclarationStatus.AWAITING)
        summary.reviews_due = sum(1 for r in team if r.status == DeclarationStatus.REVIEW_DUE)
        summary.unseen_requests = unseen_team_requests(membership=membership).count()
        summary.referral_matches = len(team_referral_matches(membership=membership))
    return summary


# Reminders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    kind: str
    recipient: Membership
    key: str
    subject: str
    body: str
    subject_model: Any


def reminders_due(*, today: date) -> list[Reminder]:
    """Every reminder that is due today, for every organisation. Each has a stable `key`
    so that sending is once-only, however often this runs."""
    from django.conf import settings

    site = settings.SITE_URL
    due: list[Reminder] = []
    for org in Organisation.objects.all().order_by("pk"):
        _, policy = policy_for(organisation=org)
        horizon = today + timedelta(days=policy.review_notice_days)
        for d in _declarations(org).filter(closure__isnull=True):
            row = _row(d)
            plan = row.current_plan
            manager = d.worker.line_manager
            if plan is None or plan.review_on > horizon or manager is None:
                continue
            if not manager.is_active:
                continue
            due.append(
                Reminder(
                    kind=Notification.Kind.REVIEW_DUE,
                    recipient=manager,
                    key=f"review:{plan.pk}:{plan.review_on.isoformat()}",
                    subject="A declaration review is due",
                    body=(
                        f"The plan for a relationship declared by {d.worker.user} is due for "
                        f"review on {plan.review_on:%d %B %Y}.\n\n"
                        f"Review it in Carepost: {site}/boundaries/declarations/{d.pk}/"
                    ),
                    subject_model=plan,
                )
            )
        last_by_member: dict[int, Any] = {}
        for member_id, created in (
            PrivacyCheckup.objects.filter(organisation=org)
            .order_by("member_id", "created_at")
            .values_list("member_id", "created_at")
        ):
            last_by_member[member_id] = created
        members = (
            Membership.objects.filter(organisation=org, is_active=True)
            .filter(Q(roles__role__in=STAFF_ROLES))
            .distinct()
            .select_related("user")
        )
        for m in members:
            last = last_by_member.get(m.pk)
            start = timezone.localdate(last) if last else timezone.localdate(m.created_at)
            due_on = start + timedelta(days=policy.checkup_interval_days)
            if due_on > today:
                continue
            due.append(
                Reminder(
                    kind=Notification.Kind.CHECKUP_DUE,
                    recipient=m,
                    key=f"checkup:{m.pk}:{due_on.isoformat()}",
                    subject="Time for your privacy check-up",
                    body=(
                        "It is a good time to look over the privacy settings of your personal "
                        "social media accounts. It takes about ten minutes and it is up to you.\n"
                        "Carepost never connects to, reads or monitors your personal accounts.\n\n"
                        f"Open the check-up: {site}/boundaries/check-up/"
                    ),
                    subject_model=m,
                )
            )
    return due


def notifications_unsent(*, older_than_minutes: int = 10) -> QuerySet[Notification]:
    """Notices never picked up (for example the task was lost): safe to enqueue again."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    return Notification.objects.filter(claimed_at__isnull=True, created_at__lt=cutoff)


def recommendation_for(
    *, membership: Membership, answers: rules.Answers
) -> tuple[int, rules.Recommendation]:
    """What the decision aid says for these answers, under the organisation's policy."""
    require_staff(membership)
    version, policy = policy_for(organisation=membership.organisation)
    return version, rules.recommend(answers, policy)
