"""Reads for learning, scoped to the member's organisation and role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.common.errors import PermissionDenied
from carepost.learning.models import (
    BadgeAssertion,
    BadgeClass,
    BadgeIssuer,
    Module,
    Reflection,
    ScenarioAttempt,
    SelfAssessment,
)


def _active(membership: Membership) -> None:
    if not membership.is_active:
        raise PermissionDenied("Your membership of this organisation has ended.")


def modules_for(*, membership: Membership) -> QuerySet[Module]:
    _active(membership)
    return Module.objects.filter(organisation=membership.organisation, is_published=True)


def module_for(*, membership: Membership, module_id: int) -> Module:
    module = modules_for(membership=membership).filter(pk=module_id).first()
    if module is None:
        raise Http404("No such module")
    return module


def my_reflection(*, membership: Membership, module: Module) -> Reflection | None:
    return (
        Reflection.objects.filter(module=module, author=membership.user)
        .prefetch_related("comments__author")
        .first()
    )


def my_reflections(*, membership: Membership) -> dict[int, Reflection]:
    return {
        r.module_id: r
        for r in Reflection.objects.filter(
            organisation=membership.organisation, author=membership.user
        )
    }


def reflection_for(*, membership: Membership, reflection_id: int) -> Reflection:
    """The author sees their own; their line manager sees it once shared; others 403."""
    _active(membership)
    reflection = (
        Reflection.objects.filter(pk=reflection_id, organisation=membership.organisation)
        .select_related("module", "author", "membership")
        .prefetch_related("comments__author")
        .first()
    )
    if reflection is None:
        raise Http404("No such reflection")
    if reflection.author_id == membership.user_id:
        return reflection
    if (
        membership.has_role(Role.LINE_MANAGER)
        and reflection.membership.line_manager_id == membership.pk
        and reflection.shared_with_manager_at is not None
    ):
        return reflection
    raise PermissionDenied("This reflection has not been shared with you.")


def team_reflections(*, membership: Membership) -> QuerySet[Reflection]:
    _active(membership)
    if not membership.has_role(Role.LINE_MANAGER):
        raise PermissionDenied("Only line managers see their team's reflections.")
    return (
        Reflection.objects.filter(
            organisation=membership.organisation,
            membership__line_manager=membership,
            shared_with_manager_at__isnull=False,
        )
        .select_related("module", "author")
        .prefetch_related("comments")
        .order_by("-shared_with_manager_at")
    )


def self_assessments_for(*, membership: Membership) -> list[SelfAssessment]:
    _active(membership)
    return list(SelfAssessment.objects.filter(membership=membership).order_by("taken_at", "pk"))


def scenario_attempts_for(*, membership: Membership) -> QuerySet[ScenarioAttempt]:
    return ScenarioAttempt.objects.filter(membership=membership).order_by("-completed_at")


def my_badges(*, membership: Membership) -> QuerySet[BadgeAssertion]:
    _active(membership)
    return (
        BadgeAssertion.objects.filter(
            organisation=membership.organisation, recipient=membership.user
        )
        .select_related("badge_class__module", "reflection")
        .order_by("-issued_on")
    )


def my_badge(*, membership: Membership, uid: str) -> BadgeAssertion:
    assertion = (
        BadgeAssertion.objects.filter(uid=uid, organisation=membership.organisation)
        .select_related("badge_class__module", "reflection__module")
        .first()
    )
    if assertion is None:
        raise Http404("No such badge")
    if assertion.recipient_id != membership.user_id:
        raise PermissionDenied("This badge belongs to someone else.")
    return assertion


def issuer_for(*, membership: Membership) -> BadgeIssuer | None:
    return BadgeIssuer.objects.filter(organisation=membership.organisation).first()


# Public (no login): only what the Open Badges hosted verification needs.


def public_issuer(*, uid: str) -> BadgeIssuer:
    issuer = BadgeIssuer.objects.filter(uid=uid).first()
    if issuer is None:
        raise Http404("No such issuer")
    return issuer


def public_badge_class(*, uid: str) -> tuple[BadgeClass, BadgeIssuer]:
    badge_class = BadgeClass.objects.filter(uid=uid).select_related("module").first()
    if badge_class is None:
        raise Http404("No such badge")
    issuer = BadgeIssuer.objects.get(organisation_id=badge_class.organisation_id)
    return badge_class, issuer


def public_assertion(*, uid: str) -> BadgeAssertion:
    assertion = (
        BadgeAssertion.objects.filter(uid=uid)
        .select_related("badge_class__module", "reflection__module")
        .first()
    )
    if assertion is None:
        raise Http404("No such badge")
    return assertion


@dataclass
class Evidence:
    assertion: BadgeAssertion
    text: str


def public_evidence(*, uid: str) -> Evidence:
    """The reflection behind a badge, only if its earner chose to share it."""
    assertion = public_assertion(uid=uid)
    if not assertion.evidence_public or assertion.revoked_at is not None:
        raise Http404("No evidence is shared for this badge")
    return Evidence(assertion=assertion, text=assertion.reflection.text)
