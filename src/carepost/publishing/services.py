"""The outbox: create, send, take down and sweep publications.

Network calls (connector methods) happen only outside transactions; rows are claimed
with conditional UPDATEs so that two workers can never send the same publication.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.posts.gates import revision_blockers
from carepost.posts.models import Post, PostRevision, PostStatus
from carepost.publishing.channel_services import (
    alert_recipients,
    channel_hold_back,
    channel_mark_needs_reauth,
)
from carepost.publishing.connectors.base import ConnectorError, ErrorKind
from carepost.publishing.connectors.registry import connector_for
from carepost.publishing.models import (
    LIVE_STATES,
    Channel,
    ChannelStatus,
    Publication,
    PublicationState,
)

logger = logging.getLogger(__name__)
MAX_TRANSIENT_ATTEMPTS = 8
# A rate limit is not a failure: it waits for the platform's reset, up to this many tries.
MAX_RATE_LIMITED_ATTEMPTS = 30
# A queued row whose wake-up (task) was lost — a worker killed holding it, Redis
# restarted — is woken again after this long (or the sending timeout, if longer). Not
# sooner: a backlog is still waiting for its tasks and must not be enqueued again.
LOST_WAKE_UP_SECONDS = 600
# After a lost response, wait this long before asking the platform whether it went out.
UNKNOWN_FIRST_CHECK_SECONDS = 30
IN_PROGRESS = "in progress"
NOT_POSSIBLE = "not possible"


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


def backoff_seconds(attempt: int, *, base: float = 30.0, cap: float = 3600.0) -> float:
    """Exponential back-off with jitter: about `base` after the first try, doubling, capped.

    Half the delay is fixed and half random ("equal jitter"), so retries of many rows
    that failed together spread out instead of arriving together again.
    """
    ceiling = min(cap, base * _backoff_scale() * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter, not security


def _backoff_scale() -> float:
    """CAREPOST_BACKOFF_SCALE (default 1): below 1 shortens every wait (the benchmark)."""
    return float(getattr(settings, "CAREPOST_BACKOFF_SCALE", 1.0))


def _sendable_channel(now: datetime) -> Q:
    """Publications whose channel may be called now: not waiting for a reconnection or a
    rate-limit reset. (A disabled channel is let through so the row fails with a reason.)

    A subquery on the channel table, not a join: the claim UPDATE then keeps its own
    WHERE (state, pk) which PostgreSQL re-checks on a concurrently updated row; with a
    join Django would move the whole condition into a `pk IN (SELECT …)` that is not
    re-checked, and two workers could claim the same row.
    """
    sendable = Channel.objects.exclude(status=ChannelStatus.NEEDS_REAUTH).filter(
        Q(paused_until__isnull=True) | Q(paused_until__lte=now)
    )
    return Q(channel_id__in=sendable.values("pk"))


def publication_send(*, publication_id: int) -> Publication | None:
    """Send one due publication. Safe to call any number of times."""
    now = timezone.now()
    claimed = Publication.objects.filter(
        _sendable_channel(now),
        pk=publication_id,
        state=PublicationState.QUEUED,
        scheduled_at__lte=now,
        take_down_requested_at__isnull=True,
    ).update(
        state=PublicationState.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        _defer_to_end_of_hold(publication_id, now)
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
    if _record(
        publication,
        from_state=PublicationState.SENDING,
        action="publication.published",
        data={"external_id": result.external_id, "url": result.url},
        state=PublicationState.PUBLISHED,
        external_id=result.external_id,
        url=result.url,
        published_at=timezone.now(),
        last_error="",
    ):
        _take_down_if_requested(publication)
    return publication


def _defer_to_end_of_hold(publication_id: int, now: datetime) -> None:
    """A wake-up that came while the channel is held back (rate limit) is spent: the row
    is due again when the hold ends, and the sweep wakes it then."""
    until = (
        Channel.objects.filter(publications__pk=publication_id, paused_until__gt=now)
        .values_list("paused_until", flat=True)
        .first()
    )
    if until is not None:
        Publication.objects.filter(
            pk=publication_id, state=PublicationState.QUEUED, scheduled_at__lt=until
        ).update(scheduled_at=until)


def _take_down_if_requested(publication: Publication) -> None:
    """A take-down asked for while it was being sent is carried out as soon as it is live."""
    if publication.take_down_requested_at is not None:
        from carepost.publishing import tasks

        tasks.take_down_publication.enqueue(publication.pk)


def _handle_send_error(publication: Publication, exc: ConnectorError) -> None:
    publication.refresh_from_db(fields=["take_down_requested_at"])
    if exc.kind in (ErrorKind.TRANSIENT, ErrorKind.AUTH) and publication.take_down_requested_at:
        # Nothing went out, and someone has asked for it to be taken down: stop here.
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.cancelled",
            data={"reason": "taken down before it was sent", "error": exc.message},
            state=PublicationState.CANCELLED,
            last_error=exc.message,
            take_down_outcome="cancelled before it was sent",
            taken_down_at=timezone.now(),
        )
        return
    rate_limited = exc.kind == ErrorKind.TRANSIENT and exc.retry_after is not None
    limit = MAX_RATE_LIMITED_ATTEMPTS if rate_limited else MAX_TRANSIENT_ATTEMPTS
    if exc.kind == ErrorKind.TRANSIENT and publication.attempts < limit:
        if exc.retry_after is not None:
            # The platform said when to come back: the whole channel waits, not just this.
            until = channel_hold_back(
                channel=publication.channel, seconds=exc.retry_after, reason=exc.message
            )
            delay = max(0.0, (until - timezone.now()).total_seconds())
        else:
            delay = backoff_seconds(publication.attempts)
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.retry_scheduled",
            data={"error": exc.message, "retry_in_seconds": round(delay)},
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
        now = timezone.now()
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.outcome_unknown",
            data={"error": exc.message},
            state=PublicationState.UNKNOWN,
            last_error=exc.message,
            unknown_since=now,
            recovery_attempts=0,
            # Give the platform a moment to show the post before asking for it.
            retry_at=now + timedelta(seconds=UNKNOWN_FIRST_CHECK_SECONDS * _backoff_scale()),
            alerted_at=None,
        )
    else:
        message = exc.message
        if exc.kind == ErrorKind.TRANSIENT:
            message = f"Gave up after {publication.attempts} tries: {exc.message}"
        _record(
            publication,
            from_state=PublicationState.SENDING,
            action="publication.failed",
            data={"error": exc.message, "kind": exc.kind},
            state=PublicationState.FAILED,
            last_error=message,
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
    """Record the take-down request (it leaves the news page at once) and wake the worker.

    A publication being sent right now is marked too: it is taken down (or cancelled)
    the moment the send finishes.
    """
    from carepost.publishing import tasks

    now = timezone.now()
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        if Publication.objects.filter(pk=publication.pk, state=PublicationState.QUEUED).update(
            state=PublicationState.CANCELLED,
            take_down_requested_at=now,
            take_down_requested_by=by,
            take_down_reason=reason,
            take_down_outcome="cancelled before it was sent",
            taken_down_at=now,
            updated_at=now,
        ):
            action = "publication.cancelled"
        elif Publication.objects.filter(
            pk=publication.pk,
            state__in=[*LIVE_STATES, PublicationState.SENDING],
            take_down_requested_at__isnull=True,
        ).update(
            take_down_requested_at=now,
            take_down_requested_by=by,
            take_down_reason=reason,
            take_down_outcome="",
            recovery_attempts=0,
            retry_at=None,
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
                "requested_by": "staff" if by else "system",
            },
        )
    return publication


def publication_take_down_execute(*, publication_id: int) -> Publication | None:
    """Delete a publication from its platform and record the outcome. Idempotent.

    An unknown send is looked for first (`find_published`): it is recorded as taken down
    only once it has been deleted, or shown never to have gone out. A channel waiting
    for reconnection or a rate-limit reset keeps the take-down pending until then.
    """
    now = timezone.now()
    claimed = Publication.objects.filter(
        _take_down_pending(now),
        _sendable_channel(now),
        pk=publication_id,
        state__in=LIVE_STATES,
        take_down_requested_at__isnull=False,
    ).update(
        take_down_outcome=IN_PROGRESS,
        recovery_attempts=F("recovery_attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    publication = Publication.objects.select_related(
        "channel", "channel__organisation", "organisation"
    ).get(pk=publication_id)
    from_state = publication.state
    connector = connector_for(publication.channel)
    external_id = publication.external_id
    try:
        if from_state == PublicationState.UNKNOWN or not external_id:
            find = getattr(connector, "find_published", None)
            if find is None:
                _take_down_not_possible(
                    publication,
                    "Carepost cannot tell whether it went out. Check the channel and delete "
                    "it there by hand if it is there.",
                )
                return publication
            found = find(publication)
            if found is None:
                _record(
                    publication,
                    from_state=from_state,
                    action="publication.cancelled",
                    data={"reason": "taken down: it had never gone out"},
                    state=PublicationState.CANCELLED,
                    taken_down_at=timezone.now(),
                    take_down_outcome="it never went out, so there was nothing to delete",
                    last_error="",
                )
                return publication
            external_id = found.external_id
            Publication.objects.filter(pk=publication.pk).update(
                external_id=found.external_id, url=found.url
            )
        result = connector.delete(external_id)
    except ConnectorError as exc:
        _take_down_failed(publication, exc)
        return publication
    except Exception as exc:  # a connector bug: keep it pending and visible, never lost
        logger.exception("Connector crashed taking down %s", publication_id)
        _take_down_failed(publication, ConnectorError(ErrorKind.UNKNOWN, f"Unexpected: {exc}"))
        return publication
    if result.outcome == "not_possible":
        _take_down_not_possible(publication, result.detail or "The platform cannot delete it.")
        return publication
    _record(
        publication,
        from_state=from_state,
        action="publication.taken_down",
        data={"outcome": result.outcome, "detail": result.detail},
        state=PublicationState.TAKEN_DOWN,
        taken_down_at=timezone.now(),
        take_down_outcome=(result.detail or result.outcome.replace("_", " "))[:200],
        external_id=external_id,
        retry_at=None,
    )
    return publication


def _take_down_failed(publication: Publication, exc: ConnectorError) -> None:
    """Kept pending and tried again later, with back-off (or after the reconnection)."""
    if exc.kind == ErrorKind.AUTH:
        channel_mark_needs_reauth(channel=publication.channel, error=exc.message)
        delay = 0.0  # it waits for the reconnection, which clears the pause
        message = "waiting for the channel to be reconnected"
    elif exc.kind == ErrorKind.TRANSIENT and exc.retry_after is not None:
        until = channel_hold_back(
            channel=publication.channel, seconds=exc.retry_after, reason=exc.message
        )
        delay = max(0.0, (until - timezone.now()).total_seconds())
        message = exc.message
    else:
        delay = backoff_seconds(publication.recovery_attempts, base=60)
        message = exc.message
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk, take_down_outcome=IN_PROGRESS).update(
            take_down_outcome=f"failed: {message}"[:200],
            last_error=exc.message,
            retry_at=timezone.now() + timedelta(seconds=delay),
            updated_at=timezone.now(),
        )
        audit_event_record(
            action="publication.take_down_failed",
            subject=publication,
            organisation=publication.organisation,
            data={"error": exc.message, "kind": exc.kind, "retry_in_seconds": round(delay)},
        )


def _take_down_not_possible(publication: Publication, detail: str) -> None:
    """The platform will not delete it: it stays marked live, and a person is told."""
    with transaction.atomic():
        Publication.objects.filter(pk=publication.pk, take_down_outcome=IN_PROGRESS).update(
            take_down_outcome=f"{NOT_POSSIBLE}: {detail}"[:200],
            retry_at=None,
            updated_at=timezone.now(),
        )
        audit_event_record(
            action="publication.take_down_not_possible",
            subject=publication,
            organisation=publication.organisation,
            data={"detail": detail},
        )
    _needs_person_alert([publication.pk])


def outbox_sweep() -> dict[str, int]:
    """Recover what was lost: due publications, stuck sends, unknown outcomes, take-downs.

    Runs every CAREPOST_SWEEP_INTERVAL seconds (worker command). Everything it does is a
    wake-up call or a conditional UPDATE, so running it twice, or on two machines, is safe.
    """
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
            unknown_since=now,
            recovery_attempts=0,
            retry_at=now,
            alerted_at=None,
        )
    # A take-down asked for while a send was failing: nothing went out, so cancel it.
    for publication in Publication.objects.filter(
        state=PublicationState.QUEUED, take_down_requested_at__isnull=False
    ):
        _record(
            publication,
            from_state=PublicationState.QUEUED,
            action="publication.cancelled",
            data={"reason": "taken down before it was sent"},
            state=PublicationState.CANCELLED,
            take_down_outcome="cancelled before it was sent",
            taken_down_at=now,
        )
    # Wake only rows no task is waiting for, and mark them woken (updated_at), so a
    # backlog is not enqueued again on every sweep: rows that became due after they were
    # last touched (back-off over, scheduled time come, a rate-limit hold over: see
    # _defer_to_end_of_hold), and rows whose wake-up was evidently lost (a worker died
    # holding it; still queued LOST_WAKE_UP_SECONDS later).
    lost_before = now - timedelta(
        seconds=max(settings.CAREPOST_SENDING_TIMEOUT, LOST_WAKE_UP_SECONDS)
    )
    due = list(
        Publication.objects.filter(
            Q(updated_at__lt=F("scheduled_at")) | Q(updated_at__lt=lost_before),
            _sendable_channel(now),
            state=PublicationState.QUEUED,
            scheduled_at__lte=now,
        ).values_list("pk", flat=True)
    )
    _wake(due, PublicationState.QUEUED, tasks.publish_publication, now)
    # The same for outcome checks: only rows whose check time has come since they were
    # last touched, whose check came during a hold or was lost, and the just-stuck ones.
    to_check = list(
        Publication.objects.filter(
            Q(retry_at__isnull=True)
            | Q(updated_at__lt=F("retry_at"))
            | Q(updated_at__lt=F("channel__paused_until"))
            | Q(updated_at__lt=lost_before)
            | Q(pk__in=stuck),
            _sendable_channel(now),
            Q(retry_at__isnull=True) | Q(retry_at__lte=now),
            state=PublicationState.UNKNOWN,
            take_down_requested_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    _wake(to_check, PublicationState.UNKNOWN, tasks.reconcile_publication, now)
    pending_take_downs = list(
        Publication.objects.filter(
            _take_down_pending(now),
            _sendable_channel(now),
            state__in=LIVE_STATES,
            take_down_requested_at__isnull=False,
        ).values_list("pk", flat=True)
    )
    for pk in pending_take_downs:
        tasks.take_down_publication.enqueue(pk)
    alerted = _needs_person_alert_due(now)
    return {
        "stuck": len(stuck),
        "due": len(due),
        "reconciled": len(to_check),
        "take_downs": len(pending_take_downs),
        "alerted": alerted,
    }


def _wake(pks: list[int], state: str, task: Any, now: datetime) -> None:
    """Mark the rows woken (``updated_at``, so the next sweep skips them while their task
    waits), then give each its task."""
    for chunk in range(0, len(pks), 500):
        Publication.objects.filter(pk__in=pks[chunk : chunk + 500], state=state).update(
            updated_at=now
        )
    for pk in pks:
        task.enqueue(pk)


def _take_down_pending(now: datetime) -> Q:
    """Take-downs not yet done: new, failed and due again, or claimed by a worker that
    has since died. "Not possible" ones wait for a person instead."""
    stale = now - timedelta(seconds=settings.CAREPOST_SENDING_TIMEOUT)
    return (
        Q(take_down_outcome="")
        | Q(
            Q(retry_at__isnull=True) | Q(retry_at__lte=now),
            take_down_outcome__startswith="failed",
        )
        | Q(take_down_outcome=IN_PROGRESS, updated_at__lt=stale)
    )


def publication_reconcile(*, publication_id: int) -> Publication | None:
    """Ask the platform whether an unknown send went out; never blindly send again.

    Claimed with a conditional UPDATE that also sets the next check time, so two workers
    never check at once and a platform that cannot answer is asked less and less often.
    """
    from carepost.publishing import tasks

    now = timezone.now()
    row = Publication.objects.filter(pk=publication_id).values("recovery_attempts").first()
    if row is None:
        return None
    next_check = now + timedelta(seconds=backoff_seconds(row["recovery_attempts"] + 1, base=60))
    claimed = Publication.objects.filter(
        Q(retry_at__isnull=True) | Q(retry_at__lte=now),
        _sendable_channel(now),
        pk=publication_id,
        state=PublicationState.UNKNOWN,
        take_down_requested_at__isnull=True,
    ).update(recovery_attempts=F("recovery_attempts") + 1, retry_at=next_check, updated_at=now)
    if not claimed:
        return None
    publication = Publication.objects.select_related(
        "channel", "channel__organisation", "organisation", "post", "revision"
    ).get(pk=publication_id)
    connector = connector_for(publication.channel)
    find = getattr(connector, "find_published", None)
    if find is None:
        return publication  # stays unknown; reviewers are alerted after a while
    try:
        result = find(publication)
    except ConnectorError as exc:
        if exc.kind == ErrorKind.AUTH:
            channel_mark_needs_reauth(channel=publication.channel, error=exc.message)
        elif exc.retry_after is not None:
            channel_hold_back(
                channel=publication.channel, seconds=exc.retry_after, reason=exc.message
            )
        Publication.objects.filter(pk=publication.pk, state=PublicationState.UNKNOWN).update(
            last_error=f"Still checking whether it went out: {exc.message}"[:1000]
        )
        return publication
    except Exception:  # a connector bug: it stays unknown and is checked again later
        logger.exception("Connector crashed reconciling %s", publication_id)
        return publication
    if result is None:
        if _record(
            publication,
            from_state=PublicationState.UNKNOWN,
            action="publication.reconciled_not_sent",
            data={},
            state=PublicationState.QUEUED,
            scheduled_at=timezone.now(),
            retry_at=None,
            recovery_attempts=0,
            unknown_since=None,
            last_error="",
        ):
            tasks.publish_publication.enqueue(publication.pk)
        return publication
    _record(
        publication,
        from_state=PublicationState.UNKNOWN,
        action="publication.reconciled_published",
        data={"external_id": result.external_id},
        state=PublicationState.PUBLISHED,
        external_id=result.external_id,
        url=result.url,
        published_at=publication.published_at or timezone.now(),
        retry_at=None,
        unknown_since=None,
        last_error="",
    )
    return publication


def _needs_person_alert_due(now: datetime) -> int:
    """Unknown for too long: tell the reviewers, once, that a person must check."""
    cutoff = now - timedelta(seconds=_unknown_alert_after())
    ids = list(
        Publication.objects.filter(
            state=PublicationState.UNKNOWN, unknown_since__lte=cutoff, alerted_at__isnull=True
        ).values_list("pk", flat=True)
    )
    return _needs_person_alert(ids)


def _unknown_alert_after() -> int:
    return int(getattr(settings, "CAREPOST_UNKNOWN_ALERT_AFTER", 3600))


def _needs_person_alert(ids: list[int]) -> int:
    """Mark each publication alerted (once), with its audit event; then email, per
    organisation, after the commit."""
    alerted: list[int] = []
    with transaction.atomic():
        for pk in ids:
            now = timezone.now()
            if not Publication.objects.filter(pk=pk, alerted_at__isnull=True).update(
                alerted_at=now
            ):
                continue
            publication = Publication.objects.select_related("organisation", "channel").get(pk=pk)
            audit_event_record(
                action="publication.needs_person",
                subject=publication,
                organisation=publication.organisation,
                data={"channel": publication.channel.name, "state": publication.state},
            )
            alerted.append(pk)
        if alerted:
            chosen = list(alerted)
            transaction.on_commit(lambda: _needs_person_email_send(publication_ids=chosen))
    return len(alerted)


def _needs_person_email_send(*, publication_ids: list[int]) -> None:
    publications = (
        Publication.objects.filter(pk__in=publication_ids)
        .select_related("organisation", "channel")
        .order_by("organisation_id", "pk")
    )
    by_org: dict[int, list[Publication]] = {}
    for p in publications:
        by_org.setdefault(p.organisation_id, []).append(p)
    for group in by_org.values():
        organisation = group[0].organisation
        recipients = alert_recipients(organisation)
        if not recipients:
            continue
        lines = []
        for p in group[:50]:
            link = settings.SITE_URL + reverse("posts:detail", kwargs={"post_id": p.post_id})
            if p.take_down_outcome.startswith(NOT_POSSIBLE):
                what = "could not be taken down automatically"
            else:
                what = "may or may not have been published"
            lines.append(f"- {p.channel.name}: post {p.post_id} {what}. {link}")
        if len(group) > 50:
            lines.append(f"- and {len(group) - 50} more")
        try:
            send_mail(
                subject=f"Carepost: {len(group)} publication(s) need a person to check",
                message=(
                    "Carepost could not confirm what happened to these publications, so a "
                    "person needs to look at the platform:\n\n"
                    + "\n".join(lines)
                    + "\n\nOpen each post's page to see what Carepost knows. Carepost keeps "
                    "checking by itself and will not send anything twice.\n"
                ),
                from_email=None,
                recipient_list=recipients,
            )
        except Exception:
            logger.exception("Could not email the needs-a-person alert")
