"""Review decisions: approve, request changes, reject. Four eyes, one exact revision."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.audit.services import audit_event_record
from carepost.common.errors import ConflictError, InvalidTransition, ValidationFailed
from carepost.consent.gates import revision_consent_checks
from carepost.posts.gates import revision_blockers
from carepost.posts.models import Post, PostRevision
from carepost.posts.services import _bump
from carepost.review.models import Review, ReviewOutcome
from carepost.review.workflow import Action, check_action


def review_open(*, post: Post, revision: PostRevision) -> Review:
    """Open the review of `revision` (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            return Review.objects.create(post=post, revision=revision)
    except IntegrityError as exc:
        raise ConflictError("This post is already waiting for review.") from exc


def review_close(*, post: Post, outcome: str, actor: object) -> None:
    Review.objects.filter(post=post, is_open=True).update(
        is_open=False, outcome=outcome, decided_at=timezone.now(), decided_by=actor
    )


def _decide(
    *,
    membership: Membership,
    post: Post,
    action: Action,
    revision_id: int,
    expected_version: int,
    comment: str,
    outcome: ReviewOutcome,
) -> tuple[Post, Review]:
    transition = check_action(membership, post, action)
    if revision_id != post.current_revision_id:
        raise ConflictError(
            "The post was edited after you opened it. "
            "Reload the page and review the latest version."
        )
    review = Review.objects.filter(post=post, is_open=True).first()
    if review is None or review.revision_id != revision_id:
        raise InvalidTransition("There is no open review for this version of the post.")
    post = _bump(post, expected_version=expected_version, status=transition.target)
    closed = Review.objects.filter(pk=review.pk, is_open=True).update(
        is_open=False,
        outcome=outcome,
        decided_by=membership.user,
        decided_at=timezone.now(),
        comment=comment,
    )
    if not closed:
        raise ConflictError(
            "Another reviewer decided on this post first. Reload to see their decision."
        )
    review.refresh_from_db()
    return post, review


def review_approve(
    *,
    membership: Membership,
    post: Post,
    revision_id: int,
    expected_version: int,
    comment: str = "",
) -> Post:
    """Approve exactly revision `revision_id`; queue one publication per chosen channel."""
    from carepost.publishing.services import publications_create_for_approval

    check_action(membership, post, Action.APPROVE)
    revision = post.current_revision
    assert revision is not None
    with transaction.atomic():
        blockers = revision_blockers(revision)
        if blockers:
            raise ValidationFailed(
                "This post cannot be approved yet: " + " ".join(b.message for b in blockers)
            )
        post, review = _decide(
            membership=membership,
            post=post,
            action=Action.APPROVE,
            revision_id=revision_id,
            expected_version=expected_version,
            comment=comment.strip(),
            outcome=ReviewOutcome.APPROVED,
        )
        relied_on = {
            "findings": list(revision.findings.values_list("id", flat=True)),
            "people": list(revision.people.values_list("id", flat=True)),
            "consent": [
                {
                    "person": c.person.pk,
                    "channel": getattr(c.channel, "pk", None),
                    "media": c.media,
                    "records": [r.pk for r in c.status.records],
                }
                for c in revision_consent_checks(revision)
            ],
        }
        Review.objects.filter(pk=review.pk).update(relied_on=relied_on)
        post.approved_revision = revision
        post.save(update_fields=["approved_revision"])
        publications = publications_create_for_approval(post=post, revision=revision)
        audit_event_record(
            action="post.approved",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "revision": revision.number,
                "review": review.pk,
                "publications": [p.pk for p in publications],
            },
        )
    return post


def _decide_with_comment(
    *,
    membership: Membership,
    post: Post,
    revision_id: int,
    expected_version: int,
    comment: str,
    action: Action,
    outcome: ReviewOutcome,
    missing_comment: str,
) -> Post:
    """Send back or reject: the author must be told why."""
    if not comment.strip():
        raise ValidationFailed(missing_comment)
    with transaction.atomic():
        post, review = _decide(
            membership=membership,
            post=post,
            action=action,
            revision_id=revision_id,
            expected_version=expected_version,
            comment=comment.strip(),
            outcome=outcome,
        )
        audit_event_record(
            action=f"post.{outcome}",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={"review": review.pk},
        )
    return post


def review_request_changes(
    *, membership: Membership, post: Post, revision_id: int, expected_version: int, comment: str
) -> Post:
    return _decide_with_comment(
        membership=membership,
        post=post,
        revision_id=revision_id,
        expected_version=expected_version,
        comment=comment,
        action=Action.REQUEST_CHANGES,
        outcome=ReviewOutcome.CHANGES_REQUESTED,
        missing_comment="Please say what needs to change, so the author knows what to do.",
    )


def review_reject(
    *, membership: Membership, post: Post, revision_id: int, expected_version: int, comment: str
) -> Post:
    return _decide_with_comment(
        membership=membership,
        post=post,
        revision_id=revision_id,
        expected_version=expected_version,
        comment=comment,
        action=Action.REJECT,
        outcome=ReviewOutcome.REJECTED,
        missing_comment="Please give the reason for rejecting the post.",
    )
