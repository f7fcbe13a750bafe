from typing import Any

import pytest
from PIL import Image

from carepost.audit.models import AuditEvent
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.posts.models import PostStatus
from carepost.posts.services import (
    DraftInput,
    PhotoInput,
    finding_acknowledge,
    post_archive,
    post_create,
    post_submit,
    post_update,
    post_withdraw,
)
from carepost.posts.tests.helpers import approved, draft, jpeg_with_gps, photo, submitted
from carepost.review.models import Review

pytestmark = pytest.mark.django_db


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, f"no audit event {action}"
    return event


def test_worker_creates_a_screened_draft_with_an_audit_event(alice: Any, website: Any) -> None:
    post = draft(alice, website)
    assert post.status == PostStatus.DRAFT
    assert post.current_revision is not None and post.current_revision.screened_at is not None
    event = last_event("post.created")
    assert event.subject_id == str(post.pk) and event.actor_id == alice.user_id


def test_draft_photo_keeps_only_a_clean_copy_without_metadata(alice: Any, website: Any) -> None:
    post = draft(alice, website, photos=[photo()])
    rp = post.current_revision.photos.get()
    assert "gps" in rp.photo.metadata_found
    with rp.photo.clean_copy.open("rb") as f, Image.open(f) as img:
        assert not img.getexif()
        assert "exif" not in img.info


def test_photo_without_alt_text_is_refused(alice: Any, website: Any) -> None:
    with pytest.raises(ValidationFailed, match="alt text"):
        draft(alice, website, photos=[PhotoInput(alt_text=" ", data=jpeg_with_gps(), name="x.jpg")])


def test_broken_photo_is_refused_with_a_clear_message(alice: Any, website: Any) -> None:
    with pytest.raises(ValidationFailed, match=r"incomplete|damaged|cannot read"):
        draft(
            alice,
            website,
            photos=[PhotoInput(alt_text="A photo", data=jpeg_with_gps()[:200], name="x.jpg")],
        )


def test_more_than_ten_photos_is_refused(alice: Any, website: Any) -> None:
    with pytest.raises(ValidationFailed, match="at most 10"):
        draft(alice, website, photos=[photo() for _ in range(11)])


def test_user_without_a_writing_role_cannot_draft(org: Any, website: Any) -> None:
    from conftest import _member

    manager = _member(org, "mona", "line_manager")
    with pytest.raises(PermissionDenied):
        draft(manager, website)


def test_cannot_post_to_another_organisations_channel(olga: Any, website: Any) -> None:
    with pytest.raises(PermissionDenied):
        post_create(membership=olga, draft=DraftInput(text="Hello", channels=[website]))


def test_cannot_tag_another_organisations_person(olga: Any, person: Any) -> None:
    from carepost.publishing.models import Channel

    theirs = Channel.objects.get(organisation=olga.organisation, kind="website")
    with pytest.raises(PermissionDenied):
        post_create(
            membership=olga, draft=DraftInput(text="Hello", channels=[theirs], people=[person])
        )


def test_submit_opens_one_review_and_is_audited(alice: Any, website: Any) -> None:
    post = submitted(alice, website)
    assert post.status == PostStatus.IN_REVIEW
    assert Review.objects.filter(post=post, is_open=True).count() == 1
    assert last_event("post.submitted").subject_id == str(post.pk)


def test_submitting_twice_is_an_invalid_transition(alice: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(InvalidTransition):
        post_submit(membership=alice, post=post, expected_version=post.version)


def test_another_worker_cannot_submit_my_post(alice: Any, bob: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(PermissionDenied):
        post_submit(membership=bob, post=post, expected_version=post.version)


def test_submit_with_a_stale_version_is_a_conflict(alice: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(ConflictError):
        post_submit(membership=alice, post=post, expected_version=post.version - 1)


def test_withdraw_returns_the_post_to_draft(alice: Any, website: Any) -> None:
    post = submitted(alice, website)
    post = post_withdraw(membership=alice, post=post, expected_version=post.version)
    assert post.status == PostStatus.DRAFT
    assert not Review.objects.filter(post=post, is_open=True).exists()
    assert Review.objects.get(post=post).outcome == "withdrawn"
    assert last_event("post.withdrawn").subject_id == str(post.pk)


def test_withdrawing_a_draft_is_an_invalid_transition(alice: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(InvalidTransition):
        post_withdraw(membership=alice, post=post, expected_version=post.version)


def test_editing_creates_a_new_revision_and_keeps_the_old(alice: Any, website: Any) -> None:
    post = draft(alice, website, text="First words.")
    post = post_update(
        membership=alice,
        post=post,
        expected_version=post.version,
        draft=DraftInput(text="Better words.", channels=[website]),
    )
    assert [r.text for r in post.revisions.order_by("number")] == ["First words.", "Better words."]
    assert post.current_revision.number == 2
    assert last_event("post.revised").data["revision"] == 2


def test_editing_an_approved_post_starts_a_new_review(
    alice: Any, rita: Any, website: Any, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    post = approved(alice, rita, website)
    post = post_update(
        membership=alice,
        post=post,
        expected_version=post.version,
        draft=DraftInput(text="Changed.", channels=[website]),
    )
    assert post.status == PostStatus.IN_REVIEW
    assert post.approved_revision is None
    assert Review.objects.filter(post=post, is_open=True).get().revision == post.current_revision
    assert set(post.publications.values_list("state", flat=True)) == {"cancelled"}


def test_editing_someone_elses_post_is_refused(alice: Any, bob: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(PermissionDenied):
        post_update(
            membership=bob,
            post=post,
            expected_version=post.version,
            draft=DraftInput(text="x", channels=[website]),
        )


def test_editing_with_a_stale_version_is_a_conflict(alice: Any, website: Any) -> None:
    post = draft(alice, website)
    with pytest.raises(ConflictError):
        post_update(
            membership=alice,
            post=post,
            expected_version=99,
            draft=DraftInput(text="x", channels=[website]),
        )


def test_archive_a_draft(alice: Any, website: Any) -> None:
    post = draft(alice, website)
    post = post_archive(membership=alice, post=post, expected_version=post.version)
    assert post.status == PostStatus.ARCHIVED
    assert last_event("post.archived").data["from_status"] == "draft"


def test_archiving_a_post_in_review_is_an_invalid_transition(alice: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(InvalidTransition):
        post_archive(membership=alice, post=post, expected_version=post.version)


def _review_finding(post: Any) -> Any:
    from carepost.posts.models import ScreeningFinding

    return ScreeningFinding.objects.create(
        revision=post.current_revision,
        check_name="voice",
        code="voice.opinion",
        action="review",
        start=0,
        end=3,
        text="Our",
        message="Sounds like a personal opinion.",
    )


def test_reviewer_acknowledges_a_finding_with_a_reason(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    finding = finding_acknowledge(
        membership=rita, finding=_review_finding(post), reason="It is the service's view."
    )
    assert finding.acknowledged_by == rita.user
    assert last_event("finding.acknowledged").data["reason"] == "It is the service's view."


def test_author_cannot_acknowledge_findings_on_own_post(alice: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(PermissionDenied):
        finding_acknowledge(membership=alice, finding=_review_finding(post), reason="Fine by me")


def test_blocking_finding_cannot_be_acknowledged(alice: Any, rita: Any, website: Any) -> None:
    post = submitted(alice, website)
    finding = _review_finding(post)
    finding.action = "block"
    finding.save()
    with pytest.raises(ValidationFailed):
        finding_acknowledge(membership=rita, finding=finding, reason="Looks fine")


def test_acknowledging_twice_is_a_conflict(alice: Any, rita: Any, ravi: Any, website: Any) -> None:
    post = submitted(alice, website)
    finding = _review_finding(post)
    finding_acknowledge(membership=rita, finding=finding, reason="It is fine here.")
    with pytest.raises(ConflictError):
        finding_acknowledge(membership=ravi, finding=finding, reason="Also fine here.")


def test_other_organisation_cannot_acknowledge(alice: Any, olga: Any, website: Any) -> None:
    post = submitted(alice, website)
    with pytest.raises(PermissionDenied):
        finding_acknowledge(
            membership=olga, finding=_review_finding(post), reason="Not mine to say"
        )


def test_a_named_person_cannot_be_waved_through_with_a_reason(
    alice: Any, rita: Any, website: Any, person: Any
) -> None:
    from carepost.posts.models import ScreeningFinding

    post = submitted(alice, website)
    finding = ScreeningFinding.objects.create(
        revision=post.current_revision,
        check_name="person",
        code="person.preferred_name",
        action="review",
        start=0,
        end=6,
        text="Nessie",
        message="Names a person supported.",
        person=person,
    )
    with pytest.raises(ValidationFailed, match="tag them"):
        finding_acknowledge(membership=rita, finding=finding, reason="She is happy with it")


def test_the_address_of_a_secret_service_is_blocked(alice: Any, website: Any, org: Any) -> None:
    from carepost.accounts.services import service_create

    service_create(
        organisation=org,
        name="Rowan House",
        kind="childrens_house",
        sensitivity="secret",
        address="15 Birch Avenue, Barrhead G78 1QQ",
    )
    post = draft(alice, website, text="Great day at 15 Birch Avenue with the young people.")
    findings = list(post.current_revision.findings.values_list("check_name", "action"))
    assert ("location", "block") in findings
