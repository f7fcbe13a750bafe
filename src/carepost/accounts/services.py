"""Writes to organisations, services, memberships and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carepost.accounts.models import (
    ApiToken,
    Membership,
    MembershipRole,
    Organisation,
    Service,
    User,
)
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import PermissionDenied, ValidationFailed


def organisation_create(*, name: str, slug: str) -> Organisation:
    """Create a tenant with its own website news channel."""
    from carepost.publishing.models import Channel, ChannelKind

    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=slug)
        Channel.objects.create(
            organisation=organisation, kind=ChannelKind.WEBSITE, name="Website news"
        )
        audit_event_record(
            action="organisation.created",
            subject=organisation,
            organisation=organisation,
            data={"slug": slug},
        )
    return organisation


def service_create(
    *,
    organisation: Organisation,
    name: str,
    kind: str,
    sensitivity: str,
    address: str = "",
    actor: User | None = None,
) -> Service:
    with transaction.atomic():
        service = Service.objects.create(
            organisation=organisation,
            name=name,
            kind=kind,
            sensitivity=sensitivity,
            address=address,
        )
        audit_event_record(
            action="service.created",
            subject=service,
            actor=actor,
            organisation=organisation,
            data={"kind": kind, "sensitivity": sensitivity},
        )
    return service


def membership_create(
    *,
    organisation: Organisation,
    user: User,
    roles: Iterable[str],
    line_manager: Membership | None = None,
    actor: User | None = None,
) -> Membership:
    roles = sorted(set(roles))
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationFailed(f"Unknown role(s): {', '.join(sorted(unknown))}")
    if line_manager is not None and line_manager.organisation_id != organisation.pk:
        raise PermissionDenied("The line manager must be in the same organisation.")
    with transaction.atomic():
        membership = Membership.objects.create(
            user=user, organisation=organisation, line_manager=line_manager
        )
        MembershipRole.objects.bulk_create(
            [MembershipRole(membership=membership, role=r) for r in roles]
        )
        audit_event_record(
            action="membership.created",
            subject=membership,
            actor=actor,
            organisation=organisation,
            data={"user": user.pk, "roles": roles},
        )
    return membership


def membership_set_line_manager(
    *, membership: Membership, line_manager: Membership | None, actor: User | None = None
) -> Membership:
    if line_manager is not None and line_manager.organisation_id != membership.organisation_id:
        raise PermissionDenied("The line manager must be in the same organisation.")
    if line_manager is not None and line_manager.pk == membership.pk:
        raise ValidationFailed("Someone cannot be their own line manager.")
    with transaction.atomic():
        Membership.objects.filter(pk=membership.pk).update(
            line_manager=line_manager, updated_at=timezone.now()
        )
        membership.refresh_from_db()
        audit_event_record(
            action="membership.line_manager_set",
            subject=membership,
            actor=actor,
            organisation=membership.organisation,
            data={"line_manager": line_manager.pk if line_manager else None},
        )
    return membership


def api_token_create(*, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationFailed("Give the token a name, so you know what uses it.")
    if ApiToken.objects.filter(membership=membership, name=name, revoked_at__isnull=True).exists():
        raise ValidationFailed("You already have a token with that name.")
    secret = ApiToken.new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            membership=membership,
            name=name,
            prefix=secret[:10],
            key_hash=ApiToken.hash_secret(secret),
        )
        audit_event_record(
            action="api_token.created",
            subject=token,
            actor=membership.user,
            organisation=membership.organisation,
            data={"name": name, "prefix": token.prefix},
        )
    return token, secret


def api_token_revoke(*, membership: Membership, token: ApiToken) -> ApiToken:
    if token.membership_id != membership.pk:
        raise PermissionDenied("That token is not yours.")
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db()
        audit_event_record(
            action="api_token.revoked",
            subject=token,
            actor=membership.user,
            organisation=membership.organisation,
            data={"name": token.name, "prefix": token.prefix},
        )
    return token


# Recording every use would turn each API read into a write; once a minute is precise
# enough to answer "is this token still in use?".
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_mark_used(*, secret: str) -> None:
    """Bookkeeping, not a state change, so not audited (it would add a row a minute)."""
    now = timezone.now()
    ApiToken.objects.filter(key_hash=ApiToken.hash_secret(secret), revoked_at__isnull=True).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOKEN_LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
