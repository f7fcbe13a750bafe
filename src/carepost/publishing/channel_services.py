"""Writes to channels: connect, reconnect, pause on a rejected token, disable.

Secrets go in only through here, encrypted (Channel.set_credentials); they are never
written to the audit log, a message or a log line.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.publishing.models import Channel, ChannelKind, ChannelStatus, PublicationState

CHANNEL_MANAGERS = (Role.REVIEWER, Role.ORG_ADMIN)


def require_channel_manager(membership: Membership) -> None:
    if not membership.has_role(*CHANNEL_MANAGERS):
        raise PermissionDenied("Only reviewers and organisation administrators manage channels.")


def channel_connect(
    *,
    membership: Membership,
    kind: str,
    name: str,
    config: dict[str, Any],
    credentials: dict[str, str],
) -> Channel:
    require_channel_manager(membership)
    name = name.strip()
    if kind not in ChannelKind.values or kind == ChannelKind.WEBSITE:
        raise ValidationFailed("Choose Mastodon, Bluesky or a Facebook Page.")
    if not name:
        raise ValidationFailed("Please give the channel a name staff will recognise.")
    organisation = membership.organisation
    if Channel.objects.filter(organisation=organisation, name=name).exists():
        raise ValidationFailed(f"There is already a channel called {name}.")
    with transaction.atomic():
        channel = Channel(organisation=organisation, kind=kind, name=name, config=config)
        channel.set_credentials(credentials)
        channel.status_changed_at = timezone.now()
        channel.save()
        audit_event_record(
            action="channel.connected",
            subject=channel,
            actor=membership.user,
            organisation=organisation,
            data={"kind": kind, "name": name},
        )
    return channel


def channel_reconnect(
    *,
    membership: Membership,
    channel: Channel,
    credentials: dict[str, str],
    config: dict[str, Any] | None = None,
) -> Channel:
    """New credentials: the channel is active again and its paused posts go out."""
    from carepost.publishing import tasks

    require_channel_manager(membership)
    if channel.organisation_id != membership.organisation_id:
        raise PermissionDenied("That channel belongs to another organisation.")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        channel.set_credentials(credentials)
        if config is not None:
            channel.config = {**channel.config, **config}
        channel.status = ChannelStatus.ACTIVE
        channel.status_reason = ""
        channel.status_changed_at = timezone.now()
        channel.save()
        audit_event_record(
            action="channel.reconnected",
            subject=channel,
            actor=membership.user,
            organisation=channel.organisation,
            data={"kind": channel.kind},
        )
        for pk in channel.publications.filter(
            state=PublicationState.QUEUED, scheduled_at__lte=timezone.now()
        ).values_list("pk", flat=True):
            enqueue_on_commit(tasks.publish_publication, pk)
    return channel


def channel_disable(*, membership: Membership, channel: Channel) -> Channel:
    require_channel_manager(membership)
    if channel.organisation_id != membership.organisation_id:
        raise PermissionDenied("That channel belongs to another organisation.")
    if channel.kind == ChannelKind.WEBSITE:
        raise ValidationFailed("The website news page cannot be disabled.")
    with transaction.atomic():
        Channel.objects.filter(pk=channel.pk).update(
            status=ChannelStatus.DISABLED, status_changed_at=timezone.now()
        )
        channel.refresh_from_db()
        audit_event_record(
            action="channel.disabled",
            subject=channel,
            actor=membership.user,
            organisation=channel.organisation,
            data={"kind": channel.kind},
        )
    return channel


def channel_mark_needs_reauth(*, channel: Channel, error: str) -> bool:
    """The platform refused the channel's token: pause it. False if already paused."""
    with transaction.atomic():
        changed = Channel.objects.filter(pk=channel.pk, status=ChannelStatus.ACTIVE).update(
            status=ChannelStatus.NEEDS_REAUTH,
            status_reason=error[:500],
            status_changed_at=timezone.now(),
        )
        if changed:
            audit_event_record(
                action="channel.needs_reauth",
                subject=channel,
                organisation=channel.organisation,
                data={"error": error[:500]},
            )
    return bool(changed)
