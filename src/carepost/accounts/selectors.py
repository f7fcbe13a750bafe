"""Reads about users, organisations and their roles."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from carepost.accounts.models import ApiToken, Membership, Organisation, Service
from carepost.common.errors import PermissionDenied

SESSION_ORGANISATION_KEY = "carepost_organisation_id"


def memberships_for_user(*, user: Any) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation", "user")
        .prefetch_related("roles")
        .order_by("organisation__name")
    )


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user is acting in: the one chosen this session, else the first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    memberships = list(memberships_for_user(user=user))
    if not memberships:
        return None
    chosen = request.session.get(SESSION_ORGANISATION_KEY)
    for m in memberships:
        if m.organisation_id == chosen:
            return m
    return memberships[0]


def require_membership(request: HttpRequest) -> Membership:
    membership = getattr(request, "membership", None)
    if not membership:
        raise PermissionDenied("Your account is not a member of any organisation.")
    return membership


def require_role(membership: Membership, *roles: str) -> None:
    if not membership.has_role(*roles):
        raise PermissionDenied(
            "Your role does not allow this. Ask your organisation administrator."
        )


def organisation_by_slug(*, slug: str) -> Organisation:
    try:
        return Organisation.objects.get(slug=slug)
    except Organisation.DoesNotExist as exc:
        raise Http404("No such organisation") from exc


def services_for(*, membership: Membership) -> QuerySet[Service]:
    return Service.objects.filter(organisation=membership.organisation).order_by("name")


def members_of(*, membership: Membership) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=membership.organisation, is_active=True)
        .select_related("user")
        .prefetch_related("roles")
        .order_by("user__username")
    )


def direct_reports(*, membership: Membership) -> QuerySet[Membership]:
    """The active members whose line manager is `membership`, in the same organisation."""
    return (
        Membership.objects.filter(
            organisation=membership.organisation, line_manager=membership, is_active=True
        )
        .select_related("user")
        .order_by("user__username")
    )


def api_tokens_for(*, membership: Membership) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(membership=membership, revoked_at__isnull=True).order_by(
        "-created_at"
    )


def membership_for_api_token(*, secret: str) -> Membership | None:
    token = (
        ApiToken.objects.filter(key_hash=ApiToken.hash_secret(secret), revoked_at__isnull=True)
        .select_related("membership__organisation", "membership__user")
        .first()
    )
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    return token.membership
