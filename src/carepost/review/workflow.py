"""The post workflow: explicit states, one transition table, one function for who may act.

Both the buttons on the page and the services call `allowed_actions`, so what a user
is shown and what the server accepts can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.posts.models import Post, PostStatus


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ARCHIVE = "archive"


class Actor(StrEnum):
    AUTHOR = "author"  # the post's author, who must also still be a worker
    REVIEWER = "reviewer"  # a reviewer who is NOT the author (four eyes)


@dataclass(frozen=True)
class Transition:
    action: Action
    sources: frozenset[str]
    target: str | None  # None: the status does not change (e.g. an edit of a draft)
    actors: frozenset[Actor]


S = PostStatus
TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in [
        Transition(
            Action.EDIT,
            frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.IN_REVIEW, S.APPROVED}),
            None,  # editing an in-review or approved post starts a new review (posts.services)
            frozenset({Actor.AUTHOR}),
        ),
        Transition(
            Action.SUBMIT,
            frozenset({S.DRAFT, S.CHANGES_REQUESTED}),
            S.IN_REVIEW,
            frozenset({Actor.AUTHOR}),
        ),
        Transition(Action.WITHDRAW, frozenset({S.IN_REVIEW}), S.DRAFT, frozenset({Actor.AUTHOR})),
        Transition(
            Action.APPROVE, frozenset({S.IN_REVIEW}), S.APPROVED, frozenset({Actor.REVIEWER})
        ),
        Transition(
            Action.REQUEST_CHANGES,
            frozenset({S.IN_REVIEW}),
            S.CHANGES_REQUESTED,
            frozenset({Actor.REVIEWER}),
        ),
        Transition(
            Action.REJECT, frozenset({S.IN_REVIEW}), S.REJECTED, frozenset({Actor.REVIEWER})
        ),
        Transition(
            Action.ARCHIVE,
            frozenset({S.DRAFT, S.CHANGES_REQUESTED, S.REJECTED, S.PUBLISHED}),
            S.ARCHIVED,
            frozenset({Actor.AUTHOR, Actor.REVIEWER}),
        ),
    ]
}


def actor_kinds(membership: Membership, post: Post) -> frozenset[Actor]:
    """Which workflow actors this member is for this post."""
    if membership.organisation_id != post.organisation_id or not membership.is_active:
        return frozenset()
    kinds = set()
    is_author = post.author_id == membership.user_id
    if is_author and membership.has_role(Role.WORKER, Role.REVIEWER):
        kinds.add(Actor.AUTHOR)
    if not is_author and membership.has_role(Role.REVIEWER):
        kinds.add(Actor.REVIEWER)
    return frozenset(kinds)


def allowed_actions(membership: Membership, post: Post) -> frozenset[Action]:
    """Every action this member may take on this post in its current state."""
    kinds = actor_kinds(membership, post)
    return frozenset(
        t.action for t in TRANSITIONS.values() if post.status in t.sources and kinds & t.actors
    )


def check_action(membership: Membership, post: Post, action: Action) -> Transition:
    """Raise PermissionDenied or InvalidTransition unless `action` is allowed now."""
    from carepost.common.errors import InvalidTransition, PermissionDenied

    transition = TRANSITIONS[action]
    kinds = actor_kinds(membership, post)
    if not kinds & transition.actors:
        if (
            action in {Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT}
            and Actor.AUTHOR in kinds
        ):
            raise PermissionDenied("You wrote this post, so someone else must review it.")
        raise PermissionDenied("Your role does not allow you to do this to this post.")
    if post.status not in transition.sources:
        status = post.get_status_display().lower()
        raise InvalidTransition(f"This post is {status}, so it cannot be {PAST_TENSE[action]} now.")
    return transition


PAST_TENSE = {
    Action.EDIT: "edited",
    Action.SUBMIT: "sent for review",
    Action.WITHDRAW: "withdrawn from review",
    Action.APPROVE: "approved",
    Action.REQUEST_CHANGES: "sent back for changes",
    Action.REJECT: "rejected",
    Action.ARCHIVE: "archived",
}
