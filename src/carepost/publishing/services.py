"""The outbox: create, send, take down and sweep publications.

Network calls (connector methods) happen only outside transactions; rows are claimed
with conditional UPDATEs so that two workers can never send the same publication.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.posts.gates import revision_blockers
from carepost.posts.models import Post, PostRevision, PostStatus
from carepost.publishing.channel_services import channel_mark_needs_reauth
from carepost.publishing.connectors.base import ConnectorError, ErrorKind
from carepost.publishing.connectors.registry import connector_for
from carepost.publishing.models import (
    ChannelStatus,
    Publication,
    PublicationState,
)

logger = logging.getLogger(__name__)
MAX_TRANSIENT_ATTEMPTS = 8


def publications_create_for_approval(*, post: Post, revision: PostRevision) -> list[Publication]:
    """One queued publication per channel of the approved revision (inside the approval)."""
    from carepost.publishing import tasks

    now = timezone.now()
    due = revision.publish_at or now
    publications = [
        Publication.objects.create(
            organisation=post.organisation,
            post=post,
            revision=revision,
            channel=channel,
            scheduled_at=due,
        )
        for channel in revision.channels.all().order_by("pk")
    ]
    if due <= now:
        for p in publications:
            enqueue_on_commit(tasks.publish_publication, p.pk)
    return publications


def publications_cancel_unsent(*, post: Post, actor: object) -> bool:
    """Cancel queued publications of an approved post. False if any has already gone out."""
    started = post.publications.exclude(
        state__in=[PublicationState.QUEUED, PublicationState.CANCELLED, PublicationState.FAILED]
    )
    if started.exists():
        return False
    for publication in post.publications.filter(state=PublicationState.QUEUED):
        if Publication.objects.filter(pk=publication.pk, state=PublicationState.QUEUED).update(
            state=PublicationState.CANCELLED, updated_at=timezone.now()
        ):
            audit_event_record(
                action="publication.cancelled",
                subject=publication,
                actor=actor,
                organisation=post.organisation,
                data={"reason": "post edited after approval"},
            )
    return True


def _publish_blockers(publication: Publication) -> list[str]:
    """Invariant I1, checked again at the moment of sending."""
    post = publication.post
    reasons = []
    if post.approved_revision_id != publication.revision_id:
        reasons.append("This version of the post is no longer the approved one.")
    if post.status not in (PostStatus.APPROVED, PostStatus.PUBLISHED):
        reasons.append(f"The post is {post.get_status_display().lower()}.")
    reasons.extend(
        b.message for b in revision_blockers(publication.revision, channels=[publication.channel])
    )
    if publication.channel.status != ChannelStatus.ACTIVE:
        reasons.append(f"The channel {publication.channel.name} is not active.")
    return reasons


def _record(
    publication: Publication,
    *,
    from_state: str,
    action: str,
    data: dict[str, object],
    **changes: object,
) -> bool:
    """Move a claimed publication on, with its audit event, if it is still in `from_state`."""
    with transaction.atomic():
        updated = Publication.objects.filter(pk=publication.pk, state=from_state).update(
            updated_at=timezone.now(), **changes
        )
        if not updated:
            return False
        publication.refresh_from_db()
        audit_event_record(
            action=action,
            subject=publication,
            organisation=publication.organisation,
            data={"channel": publication.channel.name, "state": publication.state, **data},
        )
        if publication.state == PublicationState.PUBLISHED:
            Post.objects.filter(pk=publication.post_id, status=PostStatus.APPROVED).update(
                status=PostStatus.PUBLISHED, version=F("version") + 1, updated_at=timezone.now()
            )
    return True


def publication_send(*, publication_id: int) -> Publication | None:
    """Send one due publication. Safe to call any number of times."""
    now = timezone.now()
    claimed = Publication.objects.filter(
        pk=publication_id, state=PublicationState.QUEUED, scheduled_at__lte=now
    ).update(
        state=PublicationState.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    publication = Publication.objects.select_related(
        "post", "post__organisation", "revision", "channel", "channel__organisation", "organisation"
    ).get(pk=publication_id)
    blockers = _publish_blockers(publication)
    if blockers:
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.failed",
            data={"reason": "checks failed at publishing time"},
            state=PublicationState.FAILED,
            last_error=" ".join(blockers),
        )
        return publication
    try:
        result = connector_for(publication.channel).publish(publication)
    except ConnectorError as exc:
        _handle_send_error(publication, exc)
        return publication
    except Exception as exc:  # a bug in a connector must not leave the row stuck unseen
        logger.exception("Connector crashed publishing %s", publication_id)
        _handle_send_error(
            publication, ConnectorError(ErrorKind.UNKNOWN, f"Unexpected error: {exc}")
        )
        return publication
    _record(
        publication,
        from_state=PublicationState.SENDING,
        action="publication.published",
        data={"external_id": result.external_id, "url": result.url},
        state=PublicationState.PUBLISHED,
        external_id=result.external_id,
        url=result.url,
        published_at=timezone.now(),
        last_error="",
    )
    return publication


def _handle_send_error(publication: Publication, exc: ConnectorError) -> None:
    if exc.kind == ErrorKind.TRANSIENT and publication.attempts < MAX_TRANSIENT_ATTEMPTS:
        delay = exc.retry_after or min(30 * 2 ** (publication.attempts - 1), 3600)
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.retry_scheduled",
            data={"error": exc.message, "retry_in_seconds": delay},
            state=PublicationState.QUEUED,
            scheduled_at=timezone.now() + timedelta(seconds=delay),
            last_error=exc.message,
        )
    elif exc.kind == ErrorKind.AUTH:
        channel_mark_needs_reauth(channel=publication.channel, error=exc.message)
        # Paused, never dropped: it goes out once the channel is reconnected.
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.paused",
            data={"error": exc.message},
            state=PublicationState.QUEUED,
            last_error=exc.message,
        )
    elif exc.kind == ErrorKind.UNKNOWN:
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.outcome_unknown",
            data={"error": exc.message},
            state=PublicationState.UNKNOWN,
            last_error=exc.message,
        )
    else:
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.failed",
            data={"error": exc.message},
            state=PublicationState.FAILED,
            last_error=exc.message,
        )


def publication_take_down(
    *, membership: Membership, publication: Publication, reason: str
) -> Publication:
    """A reviewer takes a publication down. Queued ones are cancelled; live ones removed."""
    if publication.organisation_id != membership.organisation_id:
        raise PermissionDenied("That publication belongs to another organisation.")
    if not membership.has_role(Role.REVIEWER):
        raise PermissionDenied("Only reviewers can take publications down.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("Please say why the post is being taken down.")
    return publication_request_take_down(
        publication=publication, reason=reason, actor=membership.user
    )


def publication_request_take_down(
    *, publication: Publication, reason: str, actor: object = None, enqueue: bool = True
) -> Publication:
    """Record the take-down request (it leaves the news page at once) and wake the worker."""
    from carepost.publishing import tasks

    now = timezone.now()
    with transaction.atomic():
        if Publication.objects.filter(pk=publication.pk, state=PublicationState.QUEUED).update(
            state=PublicationState.CANCELLED,
            take_down_requested_at=now,
            take_down_requested_by=actor if getattr(actor, "pk", None) else None,
            take_down_reason=reason,
            take_down_outcome="cancelled before it was sent",
            updated_at=now,
        ):
            action = "publication.cancelled"
        elif Publication.objects.filter(
            pk=publication.pk,
            state__in=[PublicationState.PUBLISHED, PublicationState.UNKNOWN],
            take_down_requested_at__isnull=True,
        ).update(
            take_down_requested_at=now,
            take_down_requested_by=actor if getattr(actor, "pk", None) else None,
            take_down_reason=reason,
            updated_at=now,
        ):
            action = "publication.take_down_requested"
            if enqueue:
                enqueue_on_commit(tasks.take_down_publication, publication.pk)
        else:
            raise InvalidTransition(
                "This publication is not live, so there is nothing to take down."
            )
        publication.refresh_from_db()
        audit_event_record(
            action=action,
            subject=publication,
            actor=actor,
            organisation=publication.organisation,
            # The reason stays on the publication row, not in the permanent log: consent
            # reasons name the person, and erasure must be able to remove them.
            data={
                "channel": publication.channel.name,
                "requested_by": "staff" if getattr(actor, "pk", None) else "system",
            },
        )
    return publication


def publication_take_down_execute(*, publication_id: int) -> Publication | None:
    """Delete a publication from its platform and record the outcome. Idempotent."""
    now = timezone.now()
    claimed = Publication.objects.filter(
        _take_down_pending(now),
        pk=publication_id,
        state__in=[PublicationState.PUBLISHED, PublicationState.UNKNOWN],
        take_down_requested_at__isnull=False,
    ).update(take_down_outcome="in progress", updated_at=now)
    if not claimed:
        return None
    publication = Publication.objects.select_related(
        "channel", "channel__organisation", "organisation"
    ).get(pk=publication_id)
    from_state = publication.state
    try:
        result = connector_for(publication.channel).delete(publication.external_id)
    except ConnectorError as exc:
        with transaction.atomic():
            Publication.objects.filter(pk=publication.pk).update(
                take_down_outcome=f"failed: {exc.message}"[:200],
                last_error=exc.message,
                updated_at=timezone.now(),
            )
            audit_event_record(
                action="publication.take_down_failed",
                subject=publication,
                organisation=publication.organisation,
                data={"error": exc.message, "kind": exc.kind},
            )
        return publication
    _record(
        publication,
        from_state=from_state,
        action="publication.taken_down",
        data={"outcome": result.outcome, "detail": result.detail},
        state=PublicationState.TAKEN_DOWN,
        taken_down_at=timezone.now(),
        take_down_outcome=(result.detail or result.outcome)[:200],
    )
    return publication


def outbox_sweep() -> dict[str, int]:
    """Recover what was lost: due publications, stuck sends, unfinished take-downs."""
    from carepost.publishing import tasks

    now = timezone.now()
    stuck_before = now - timedelta(seconds=settings.CAREPOST_SENDING_TIMEOUT)
    stuck = list(
        Publication.objects.filter(
            state=PublicationState.SENDING, claimed_at__lt=stuck_before
        ).values_list("pk", flat=True)
    )
    for pk in stuck:
        publication = Publication.objects.get(pk=pk)
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.outcome_unknown",
            data={"error": "the worker stopped while sending"},
            state=PublicationState.UNKNOWN,
            last_error="The worker stopped while sending; checking whether it went out.",
        )
    due = list(
        Publication.objects.filter(
            state=PublicationState.QUEUED,
            scheduled_at__lte=now,
            channel__status=ChannelStatus.ACTIVE,
        ).values_list("pk", flat=True)
    )
    for pk in due:
        tasks.publish_publication.enqueue(pk)
    reconciled = 0
    for publication in Publication.objects.filter(
        state=PublicationState.UNKNOWN, take_down_requested_at__isnull=True
    ).select_related("channel", "channel__organisation", "organisation", "post", "revision"):
        reconciled += _reconcile(publication)
    pending_take_downs = list(
        Publication.objects.filter(
            _take_down_pending(now),
            state__in=[PublicationState.PUBLISHED, PublicationState.UNKNOWN],
            take_down_requested_at__isnull=False,
        ).values_list("pk", flat=True)
    )
    for pk in pending_take_downs:
        tasks.take_down_publication.enqueue(pk)
    return {
        "stuck": len(stuck),
        "due": len(due),
        "reconciled": reconciled,
        "take_downs": len(pending_take_downs),
    }


def _take_down_pending(now: datetime) -> Q:
    """Take-downs not yet done: new, failed, or claimed by a worker that has since died."""
    stale = now - timedelta(seconds=settings.CAREPOST_SENDING_TIMEOUT)
    return (
        Q(take_down_outcome="")
        | Q(take_down_outcome__startswith="failed")
        | Q(take_down_outcome="in progress", updated_at__lt=stale)
    )


def _reconcile(publication: Publication) -> int:
    """Ask the platform whether an unknown send went out; never blindly send again."""
    connector = connector_for(publication.channel)
    find = getattr(connector, "find_published", None)
    if find is None:
        return 0  # stays unknown, shown on the post page for a person to check
    try:
        result = find(publication)
    except ConnectorError:
        return 0
    if result is None:
        return int(
            _record(
                publication,
                from_state=PublicationState.UNKNOWN,
                action="publication.reconciled_not_sent",
                data={},
                state=PublicationState.QUEUED,
                scheduled_at=timezone.now(),
            )
        )
    return int(
        _record(
            publication,
            from_state=PublicationState.UNKNOWN,
            action="publication.reconciled_published",
            data={"external_id": result.external_id},
            state=PublicationState.PUBLISHED,
            external_id=result.external_id,
            url=result.url,
            published_at=publication.published_at or timezone.now(),
        )
    )
