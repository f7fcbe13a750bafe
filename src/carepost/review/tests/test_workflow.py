"""The transition table, checked across every state and actor."""

from typing import Any

import pytest

from carepost.posts.models import PostStatus
from carepost.review.workflow import TRANSITIONS, Action, Actor, allowed_actions

pytestmark = pytest.mark.django_db

EXPECTED = {
    (PostStatus.DRAFT, Actor.AUTHOR): {Action.EDIT, Action.SUBMIT, Action.ARCHIVE},
    (PostStatus.DRAFT, Actor.REVIEWER): {Action.ARCHIVE},
    (PostStatus.IN_REVIEW, Actor.AUTHOR): {Action.EDIT, Action.WITHDRAW},
    (PostStatus.IN_REVIEW, Actor.REVIEWER): {Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT},
    (PostStatus.CHANGES_REQUESTED, Actor.AUTHOR): {Action.EDIT, Action.SUBMIT, Action.ARCHIVE},
    (PostStatus.APPROVED, Actor.AUTHOR): {Action.EDIT},
    (PostStatus.APPROVED, Actor.REVIEWER): set(),
    (PostStatus.REJECTED, Actor.AUTHOR): {Action.ARCHIVE},
    (PostStatus.PUBLISHED, Actor.AUTHOR): {Action.ARCHIVE},
    (PostStatus.ARCHIVED, Actor.AUTHOR): set(),
    (PostStatus.ARCHIVED, Actor.REVIEWER): set(),
}


@pytest.mark.parametrize(("status", "actor"), list(EXPECTED))
def test_allowed_actions_follow_the_table(
    status: str, actor: Actor, alice: Any, ravi: Any, website: Any
) -> None:
    from carepost.posts.tests.helpers import draft

    post = draft(alice, website)
    post.status = status
    member = alice if actor == Actor.AUTHOR else ravi
    assert allowed_actions(member, post) == EXPECTED[(status, actor)]


def test_every_decision_needs_a_reviewer_who_is_not_the_author() -> None:
    for action in (Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT):
        assert TRANSITIONS[action].actors == frozenset({Actor.REVIEWER})


def test_member_of_another_organisation_has_no_actions(alice: Any, olga: Any, website: Any) -> None:
    from carepost.posts.tests.helpers import draft

    assert allowed_actions(olga, draft(alice, website)) == frozenset()
