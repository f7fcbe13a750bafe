"""Reads of posts, scoped to the member's organisation and role."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.audit.models import AuditEvent
from carepost.common.errors import PermissionDenied
from carepost.posts.gates import Blocker, revision_blockers
from carepost.posts.models import (
    Photo,
    Post,
    PostRevision,
    PostStatus,
    RevisionPhoto,
    ScreeningFinding,
)
from carepost.publishing.models import Publication
from carepost.review.models import Review
from carepost.review.workflow import Action, allowed_actions

DESK_ROLES = (Role.WORKER, Role.REVIEWER, Role.ORG_ADMIN)


def _base(membership: Membership) -> QuerySet[Post]:
    return Post.objects.filter(organisation=membership.organisation).select_related(
        "author", "current_revision", "service"
    )


def posts_visible_to(*, membership: Membership) -> QuerySet[Post]:
    """Workers see their own posts; reviewers and org admins see the organisation's."""
    if not membership.has_role(*DESK_ROLES):
        raise PermissionDenied("Your role does not include the publishing desk.")
    qs = _base(membership)
    if not membership.has_role(Role.REVIEWER, Role.ORG_ADMIN):
        qs = qs.filter(author=membership.user)
    return qs


def post_for(*, membership: Membership, post_id: int) -> Post:
    """A post the member may see: 404 if it is in another organisation, 403 if not theirs."""
    post = _base(membership).filter(pk=post_id).first()
    if post is None:
        raise Http404("No such post")
    if not posts_visible_to(membership=membership).filter(pk=post_id).exists():
        raise PermissionDenied("This post belongs to someone else.")
    return post


def desk_posts(*, membership: Membership) -> QuerySet[Post]:
    return (
        posts_visible_to(membership=membership)
        .filter(author=membership.user)
        .exclude(status=PostStatus.ARCHIVED)
        .order_by("-updated_at")
    )


def review_queue(*, membership: Membership) -> QuerySet[Post]:
    """Posts waiting for review that this reviewer may decide on (not their own)."""
    if not membership.has_role(Role.REVIEWER):
        raise PermissionDenied("Only reviewers have a review queue.")
    return (
        _base(membership)
        .filter(status=PostStatus.IN_REVIEW)
        .exclude(author=membership.user)
        .prefetch_related(
            Prefetch(
                "current_revision__findings", queryset=ScreeningFinding.objects.order_by("start")
            )
        )
        .order_by("updated_at")
    )


def awaiting_others(*, membership: Membership) -> QuerySet[Post]:
    """A reviewer's own posts in review: someone else has to decide these."""
    return (
        _base(membership)
        .filter(status=PostStatus.IN_REVIEW, author=membership.user)
        .order_by("updated_at")
    )


def finding_for(*, membership: Membership, finding_id: int) -> ScreeningFinding:
    finding = (
        ScreeningFinding.objects.select_related("revision__post", "person")
        .filter(pk=finding_id, revision__post__organisation=membership.organisation)
        .first()
    )
    if finding is None:
        raise Http404("No such finding")
    return finding


def photo_for(*, membership: Membership, photo_id: int) -> Photo:
    photo = Photo.objects.filter(pk=photo_id, organisation=membership.organisation).first()
    if photo is None:
        raise Http404("No such photo")
    if (
        membership.has_role(Role.REVIEWER, Role.ORG_ADMIN)
        or photo.uploaded_by_id == membership.user_id
    ):
        return photo
    if not RevisionPhoto.objects.filter(
        photo=photo, revision__post__author=membership.user
    ).exists():
        raise PermissionDenied("This photo belongs to someone else's post.")
    return photo


@dataclass
class PostPage:
    post: Post
    revision: PostRevision
    revisions: list[PostRevision]
    findings: list[ScreeningFinding]
    blockers: list[Blocker]
    actions: frozenset[Action]
    reviews: list[Review]
    publications: list[Publication]
    history: list[AuditEvent]
    open_review: Review | None


def post_page(*, membership: Membership, post_id: int) -> PostPage:
    """Everything on a post's page: the current version, its findings, and its whole history."""
    post = post_for(membership=membership, post_id=post_id)
    revisions = list(
        post.revisions.prefetch_related(
            "channels",
            "people",
            Prefetch("photos", queryset=RevisionPhoto.objects.select_related("photo")),
        ).order_by("-number")
    )
    revision = next(r for r in revisions if r.pk == post.current_revision_id)
    from carepost.audit.selectors import audit_events_for

    publications = list(
        post.publications.select_related("channel", "revision").order_by(
            "-created_at", "channel__name"
        )
    )
    history = list(audit_events_for(subject=post))
    pub_events = AuditEvent.objects.filter(
        subject_type=Publication._meta.label_lower, subject_id__in=[str(p.pk) for p in publications]
    ).select_related("actor")
    history = sorted([*history, *pub_events], key=lambda e: e.seq)
    reviews = list(
        post.reviews.select_related("decided_by", "revision").order_by("-opened_at", "-id")
    )
    return PostPage(
        post=post,
        revision=revision,
        revisions=revisions,
        findings=list(revision.findings.select_related("person", "acknowledged_by")),
        blockers=revision_blockers(revision),
        actions=allowed_actions(membership, post),
        reviews=reviews,
        publications=publications,
        history=history,
        open_review=next((r for r in reviews if r.is_open), None),
    )
