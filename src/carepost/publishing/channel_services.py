"""Writes to channels: connect, reconnect, pause on a rejected token, disable.

Secrets go in only through here, encrypted (Channel.set_credentials); they are never
written to the audit log, a message or a log line.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.accounts.selectors import require_membership
from carepost.audit.services import audit_event_record
from carepost.common.errors import PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.publishing.models import (
    LIVE_STATES,
    Channel,
    ChannelKind,
    ChannelStatus,
    Publication,
    PublicationState,
)

logger = logging.getLogger(__name__)
CHANNEL_MANAGERS = (Role.REVIEWER, Role.ORG_ADMIN)
# Never hold a channel back for longer than this, whatever a platform's headers say.
MAX_PAUSE_SECONDS = 6 * 3600


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
        Channel.objects.filter(pk=channel.pk).update(paused_until=None)
        now = timezone.now()
        # What waited for the reconnection goes now: sends, take-downs and checks.
        for pk in channel.publications.filter(
            state=PublicationState.QUEUED, scheduled_at__lte=now
        ).values_list("pk", flat=True):
            enqueue_on_commit(tasks.publish_publication, pk)
        waiting = channel.publications.filter(
            Q(state__in=LIVE_STATES, take_down_requested_at__isnull=False)
            | Q(state=PublicationState.UNKNOWN)
        ).exclude(take_down_outcome__startswith="not possible")
        waiting.update(retry_at=None)
        for pk, state, requested in waiting.values_list("pk", "state", "take_down_requested_at"):
            if requested is not None:
                enqueue_on_commit(tasks.take_down_publication, pk)
            elif state == PublicationState.UNKNOWN:
                enqueue_on_commit(tasks.reconcile_publication, pk)
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
    """The platform refused the channel's token: pause it and tell the reviewers.

    Nothing is dropped: its queued publications and take-downs wait for the
    reconnection (channel_reconnect sends them). False if it was already paused.
    """
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
            channel_id = channel.pk
            transaction.on_commit(lambda: _needs_reauth_email_send(channel_id=channel_id))
    return bool(changed)


def channel_hold_back(*, channel: Channel, seconds: float, reason: str) -> datetime:
    """A rate limit: hold back every publication of the channel until the platform's reset.

    Only ever moves `paused_until` later, so concurrent workers cannot shorten a pause.
    """
    until = timezone.now() + timedelta(seconds=min(max(seconds, 1.0), MAX_PAUSE_SECONDS))
    with transaction.atomic():
        changed = (
            Channel.objects.filter(pk=channel.pk)
            .filter(Q(paused_until__isnull=True) | Q(paused_until__lt=until))
            .update(paused_until=until)
        )
        if changed:
            audit_event_record(
                action="channel.held_back",
                subject=channel,
                organisation=channel.organisation,
                data={"until": until.isoformat(), "reason": reason[:200]},
            )
    return until


def channel_is_held_back(channel: Channel, now: datetime | None = None) -> bool:
    return channel.paused_until is not None and channel.paused_until > (now or timezone.now())


def alert_recipients(organisation: Organisation) -> list[str]:
    """Everyone who runs the channels: the organisation's reviewers and administrators."""
    members = Membership.objects.filter(
        organisation=organisation,
        is_active=True,
        roles__role__in=CHANNEL_MANAGERS,
    ).select_related("user")
    return sorted({m.user.email for m in members if m.user.is_active and m.user.email})


def _needs_reauth_email_send(*, channel_id: int) -> None:
    """Plain English, no token and no raw response: what happened and what to do."""
    channel = Channel.objects.select_related("organisation").get(pk=channel_id)
    recipients = alert_recipients(channel.organisation)
    if not recipients:
        return
    waiting = Publication.objects.filter(
        channel=channel, state__in=[PublicationState.QUEUED, PublicationState.SENDING]
    ).count()
    take_downs = (
        Publication.objects.filter(
            channel=channel, state__in=LIVE_STATES, take_down_requested_at__isnull=False
        )
        .exclude(take_down_outcome__startswith="not possible")
        .count()
    )
    waiting_text = (
        f"{waiting} post{'s are' if waiting != 1 else ' is'} waiting to go out there"
        if waiting
        else "No posts are waiting to go out there at the moment"
    )
    if take_downs:
        waiting_text += (
            f", and {take_downs} take-down{'s are' if take_downs != 1 else ' is'} waiting"
            " to be carried out"
        )
    link = settings.SITE_URL + reverse("channels:list")
    try:
        send_mail(
            subject=f"Carepost: {channel.name} needs reconnecting",
            message=(
                f"{channel.get_kind_display()} stopped accepting Carepost's connection to "
                f"the channel {channel.name}. This usually happens when the account's "
                "password was changed, access was removed, or the connection expired.\n\n"
                f"{waiting_text}. Nothing is lost: Carepost has paused this channel "
                "and will carry on as soon as it is reconnected.\n\n"
                f"To reconnect it, go to {link} and choose Reconnect {channel.name}. "
                "You will need to sign in to the account on "
                f"{channel.get_kind_display()}.\n"
            ),
            from_email=None,
            recipient_list=recipients,
        )
    except Exception:  # the pause is recorded and shown on the home page either way
        logger.exception("Could not email the needs-reconnecting alert for channel %s", channel_id)


def channel_manager(request: HttpRequest) -> Membership:
    """The request's membership, if it may manage channels (setup views of every connector)."""
    membership = require_membership(request)
    require_channel_manager(membership)
    return membership
