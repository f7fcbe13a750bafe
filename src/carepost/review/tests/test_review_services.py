from typing import Any

import pytest

from carepost.audit.models import AuditEvent
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.posts.models import PostStatus, ScreeningFinding
from carepost.posts.services import DraftInput, post_update
from carepost.posts.tests.helpers import draft, submitted
from carepost.publishing.models import Publication
from carepost.review.models import Review
from carepost.review.services import review_approve, review_reject, review_request_changes
from carepost.review.workflow import Action, allowed_actions

pytestmark = pytest.mark.django_db


def approve(reviewer: Any, post: Any, **kw: Any) -> Any:
    return review_approve(
        membership=reviewer,
        post=post,
        revision_id=kw.get("revision_id", post.current_revision_id),
        expected_version=kw.get("expected_version", post.version),
    )


def test_reviewer_approves_the_exact_revision_and_queues_publications(
    alice: Any, rita: Any, website: Any
) -> None:
    post = submitted(alice, website)
    post = approve(rita, post)
    assert post.status == PostStatus.APPROVED
    assert post.approved_revision_id == post.current_revision_id
    review = Review.objects.get(post=post)
    assert review.outcome == "approved" and review.decided_by == rita.user
    pub = Publication.objects.get(post=post)
    assert pub.revision_id == post.current_revision_id and pub.state == "queued"
    event = AuditEvent.objects.filter(action="post.approved").get()
    assert event.actor_id == rita.user_id and event.data["publications"] == [pub.pk]


def test_author_cannot_approve_own_post(rita: Any, website: Any) -> None:
    post = submitted(rita, website)
    assert Action.APPROVE not in allowed_actions(rita, post)
    with pytest.raises(PermissionDenied, match="someone else"):
        approve(rita, post)


def test_worker_cannot_approve(alice: Any, bob: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(PermissionDenied):
        approve(bob, post)


def test_reviewer_from_another_organisation_cannot_approve(
    alice: Any, olga: Any, website: Any
) -> None:
    post = submitted(alice, website)
    with pytest.raises(PermissionDenied):
        approve(olga, post)


def test_approving_a_draft_is_an_invalid_transition(alice: Any, rita: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(InvalidTransition):
        approve(rita, post)


def test_two_reviewers_cannot_both_decide(alice: Any, rita: Any, ravi: Any, website: Any) -> None:
    post = submitted(alice, website)
    seen_by_ravi = type(post).objects.get(pk=post.pk)
    approve(rita, post)
    with pytest.raises((ConflictError, InvalidTransition)):
        review_reject(
            membership=ravi,
            post=seen_by_ravi,
            revision_id=seen_by_ravi.current_revision_id,
            expected_version=seen_by_ravi.version,
            comment="No",
        )
    assert Review.objects.get(post=post).outcome == "approved"


def test_stale_version_is_a_conflict(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(ConflictError):
        approve(rita, post, expected_version=post.version - 1)


def test_approving_an_older_revision_is_a_conflict(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    old_revision = post.current_revision_id
    post = post_update(
        membership=alice,
        post=post,
        expected_version=post.version,
        draft=DraftInput(text="New words", channels=[website]),
    )
    with pytest.raises(ConflictError, match="edited"):
        approve(rita, post, revision_id=old_revision)


def test_blocking_finding_prevents_approval(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    ScreeningFinding.objects.create(
        revision=post.current_revision,
        check_name="personal_data",
        code="personal_data.phone",
        action="block",
        start=0,
        end=3,
        text="Our",
        message="A phone number.",
        kind="phone",
    )
    with pytest.raises(ValidationFailed, match="cannot be approved"):
        approve(rita, post)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    assert not AuditEvent.objects.filter(action="post.approved").exists()


def test_untagged_person_named_in_text_prevents_approval(
    alice: Any, rita: Any, website: Any, person: Any
) -> None:
    post = submitted(alice, website)
    ScreeningFinding.objects.create(
        revision=post.current_revision,
        check_name="person",
        code="person.name",
        action="block",
        start=0,
        end=3,
        text="Nessie",
        message="Names a person supported.",
        person=person,
    )
    with pytest.raises(ValidationFailed, match="not tagged"):
        approve(rita, post)


def test_tagged_consenting_person_does_not_block(
    alice: Any, rita: Any, website: Any, consented: Any
) -> None:
    post = submitted(alice, website, text="Happy birthday Nessie!", people=[consented])
    post = approve(rita, post)
    assert post.status == PostStatus.APPROVED


def test_request_changes_needs_a_comment(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(ValidationFailed):
        review_request_changes(
            membership=rita,
            post=post,
            revision_id=post.current_revision_id,
            expected_version=post.version,
            comment=" ",
        )


def test_request_changes_sends_it_back_with_the_comment(
    alice: Any, rita: Any, website: Any
) -> None:
    post = submitted(alice, website)
    post = review_request_changes(
        membership=rita,
        post=post,
        revision_id=post.current_revision_id,
        expected_version=post.version,
        comment="Please add a photo description.",
    )
    assert post.status == PostStatus.CHANGES_REQUESTED
    assert Review.objects.get(post=post).comment == "Please add a photo description."
    assert AuditEvent.objects.filter(
        action="post.changes_requested", subject_id=str(post.pk)
    ).exists()
    assert Action.SUBMIT in allowed_actions(alice, post)


def test_reject_is_final_and_audited(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    post = review_reject(
        membership=rita,
        post=post,
        revision_id=post.current_revision_id,
        expected_version=post.version,
        comment="Never name the children's house.",
    )
    assert post.status == PostStatus.REJECTED
    assert AuditEvent.objects.filter(action="post.rejected", subject_id=str(post.pk)).exists()
    assert allowed_actions(alice, post) == frozenset({Action.ARCHIVE})


def test_only_one_open_review_per_post_is_enforced_by_the_database(
    alice: Any, website: Any
) -> None:
    from django.db import IntegrityError, transaction

    post = submitted(alice, website)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(post=post, revision=post.current_revision)
