"""Faces on the desk: the photo check, face choices per version, the gates, access."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from carepost.audit.models import AuditEvent
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.consent.models import Person
from carepost.consent.services import consent_record
from carepost.posts import photo_services
from carepost.posts.gates import revision_blockers
from carepost.posts.models import (
    AnalysisState,
    FaceChoice,
    FaceDecision,
    FaceRegion,
    Photo,
    Post,
    PostStatus,
    ScreeningFinding,
)
from carepost.posts.photo_services import FaceBox, face_mark, photo_analyse, photo_analysis_retry
from carepost.posts.services import (
    DraftInput,
    FaceDecisionInput,
    PhotoInput,
    finding_acknowledge,
    post_create,
    post_faces_decide,
    post_submit,
    post_update,
)
from carepost.posts.tests.helpers import jpeg_with_gps
from carepost.publishing.models import Channel, Publication, PublicationState
from carepost.review.services import review_approve
from carepost.screening.photos import Box, PhotoRejected
from carepost.screening.photos.types import MetadataItem, PhotoReport

pytestmark = pytest.mark.django_db

SIZE = (300, 200)
FACE_BOXES = [Box(30, 40, 60, 60, 0.9), Box(200, 50, 60, 60, 0.8)]


class FakeChecker:
    """Stands in for the detector and text reader: what they report is set per test."""

    def __init__(self) -> None:
        self.faces: list[Box] = list(FACE_BOXES)
        self.findings: list[dict[str, Any]] = []
        self.error: Exception | None = None
        self.calls = 0

    def __call__(self, data: bytes, **kw: Any) -> PhotoReport:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return PhotoReport(
            format="JPEG",
            width=SIZE[0],
            height=SIZE[1],
            frames=1,
            metadata=[MetadataItem("gps", "GPS position", "55.8, -4.4", True)],
            faces=self.faces if kw.get("faces") else [],
            findings=self.findings if kw.get("ocr") else [],
        )


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> FakeChecker:
    fake = FakeChecker()
    monkeypatch.setattr(photo_services, "inspect", fake)
    return fake


def group_photo() -> PhotoInput:
    return PhotoInput(alt_text="The garden club", data=jpeg_with_gps(SIZE), name="group.jpg")


def new_post(author: Any, channel: Any, people: list[Person] | None = None, **kw: Any) -> Post:
    post = post_create(
        membership=author,
        draft=DraftInput(
            text="Our garden club planted sweet peas today.",
            channels=kw.pop("channels", [channel]),
            people=people or [],
            photos=[group_photo()],
        ),
    )
    return post


def checked(post: Post) -> Post:
    for photo in Photo.objects.filter(uses__revision__post=post).distinct():
        photo_analyse(photo_id=photo.pk)
    post.refresh_from_db()
    return post


def faces_of(post: Post) -> tuple[Any, list[FaceRegion]]:
    rp = post.current_revision.photos.get()
    return rp, list(rp.photo.faces.order_by("number"))


def decide(author: Any, post: Post, choices: list[FaceDecisionInput | None]) -> Post:
    rp, faces = faces_of(post)
    return post_faces_decide(
        membership=author,
        post=post,
        expected_version=post.version,
        decisions={rp.pk: {f.pk: c for f, c in zip(faces, choices, strict=False)}},
    )


def approve(reviewer: Any, post: Post) -> Post:
    return review_approve(
        membership=reviewer,
        post=post,
        revision_id=post.current_revision_id,
        expected_version=post.version,
    )


def submit(author: Any, post: Post) -> Post:
    return post_submit(membership=author, post=post, expected_version=post.version)


def codes(post: Post) -> set[str]:
    return {b.code for b in revision_blockers(post.current_revision)}


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, f"no audit event {action}"
    return event


# --- the check --------------------------------------------------------------------------


def test_a_new_photo_waits_for_its_check_and_blocks_approval_meanwhile(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = new_post(alice, website)
    photo = post.current_revision.photos.get().photo
    assert photo.analysis_state == AnalysisState.PENDING and checker.calls == 0
    messages = [b.message for b in revision_blockers(post.current_revision)]
    assert "We're still checking photo 1 for faces — this takes a few seconds." in messages


def test_the_check_stores_faces_metadata_and_progress_with_an_audit_event(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    rp, faces = faces_of(post)
    photo = rp.photo
    assert photo.analysis_state == AnalysisState.DONE and photo.analysis_progress == 100
    assert [(f.number, f.x, f.y, f.source) for f in faces] == [
        (1, 30, 40, "detector"),
        (2, 200, 50, "detector"),
    ]
    assert photo.report["metadata"] == [{"kind": "gps", "label": "GPS position", "blocking": True}]
    assert photo.report["clean_metadata"] == []  # the clean copy carries nothing
    assert last_event("photo.checked").data == {"faces": 2, "findings": 0}


def test_the_check_is_idempotent(alice: Any, website: Any, checker: FakeChecker) -> None:
    post = checked(new_post(alice, website))
    photo = post.current_revision.photos.get().photo
    assert photo_analyse(photo_id=photo.pk) is None
    assert photo.faces.count() == 2 and checker.calls == 2  # faces, then text: once each


def test_a_failed_check_blocks_with_a_plain_reason_and_can_be_retried(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    checker.error = PhotoRejected("This photo file is damaged, so we cannot read it.")
    post = checked(new_post(alice, website))
    photo = post.current_revision.photos.get().photo
    photo.refresh_from_db()
    assert photo.analysis_state == AnalysisState.FAILED
    assert next(b.message for b in revision_blockers(post.current_revision)) == (
        "We couldn't check photo 1: This photo file is damaged, so we cannot read it. "
        "Remove it or try again."
    )
    assert last_event("photo.check_failed").data["error"].startswith("This photo file")
    checker.error = None
    photo_analysis_retry(membership=alice, photo=photo)
    photo.refresh_from_db()
    assert photo.analysis_state == AnalysisState.PENDING
    photo_analyse(photo_id=photo.pk)
    photo.refresh_from_db()
    assert photo.analysis_state == AnalysisState.DONE and photo.faces.count() == 2
    assert last_event("photo.check_restarted").actor_id == alice.user_id


def test_a_crash_in_the_check_is_recorded_without_details(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    checker.error = RuntimeError("onnx exploded at /secret/path")
    post = checked(new_post(alice, website))
    photo = post.current_revision.photos.get().photo
    assert photo.analysis_state == AnalysisState.FAILED
    assert "secret" not in photo.analysis_error


def test_retrying_a_finished_check_is_an_invalid_transition(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    with pytest.raises(InvalidTransition):
        photo_analysis_retry(membership=alice, photo=post.current_revision.photos.get().photo)


def test_another_worker_cannot_retry_my_photo_check(
    alice: Any, bob: Any, website: Any, checker: FakeChecker
) -> None:
    checker.error = PhotoRejected("Broken.")
    post = checked(new_post(alice, website))
    with pytest.raises(PermissionDenied):
        photo_analysis_retry(membership=bob, photo=post.current_revision.photos.get().photo)


# --- face choices and the gates ----------------------------------------------------------


def test_undecided_faces_block_approval(
    alice: Any, rita: Any, website: Any, checker: FakeChecker
) -> None:
    post = submit(alice, checked(new_post(alice, website)))
    messages = [b.message for b in revision_blockers(post.current_revision)]
    assert "Photo 1: faces 1 and 2 need a choice: say who each one is, or blur them." in messages
    with pytest.raises(ValidationFailed, match="faces 1 and 2 need a choice"):
        approve(rita, post)


def test_linked_consented_person_and_blurred_face_can_be_approved(
    alice: Any, rita: Any, website: Any, consented: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website, people=[consented]))
    post = decide(
        alice,
        post,
        [FaceDecisionInput(FaceChoice.PERSON, consented), FaceDecisionInput(FaceChoice.BLUR)],
    )
    assert post.current_revision.number == 2
    assert codes(post) == set()
    event = last_event("post.faces_decided")
    assert event.data["faces"] == [
        {"photo": 1, "face": 1, "choice": "person", "person": consented.pk},
        {"photo": 1, "face": 2, "choice": "blur", "person": None},
    ]
    post = approve(rita, submit(alice, post))
    assert post.status == PostStatus.APPROVED
    rp = post.approved_revision.photos.get()
    assert rp.published_copy  # rendered before publication: the outbox never renders
    data, content_type = rp.published_image()
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif()


def test_blurred_face_is_obscured_in_the_published_copy(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    # A photo with detail where face 2 is: the published copy must have none left there.
    img = Image.effect_noise(SIZE, 90).convert("RGB")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    post = post_create(
        membership=alice,
        draft=DraftInput(
            text="Garden club.",
            channels=[website],
            photos=[PhotoInput(alt_text="Noise", data=out.getvalue(), name="n.jpg")],
        ),
    )
    post = decide(alice, checked(post), [None, FaceDecisionInput(FaceChoice.BLUR)])
    rp = post.current_revision.photos.get()
    data, _ = rp.published_image()
    with Image.open(io.BytesIO(data)) as pub:
        face2 = pub.convert("L").crop((210, 60, 250, 100))
        face1 = pub.convert("L").crop((40, 50, 80, 90))
        spread2 = int(np.ptp(np.asarray(face2)))
        spread1 = int(np.ptp(np.asarray(face1)))
    assert spread2 < spread1 / 2


def test_face_linked_to_a_person_without_photo_consent_for_a_channel_blocks(
    alice: Any, rita: Any, carol: Any, website: Any, person: Any, org: Any, checker: FakeChecker
) -> None:
    mastodon = Channel.objects.create(organisation=org, kind="mastodon", name="Mastodon")
    consent_record(
        membership=carol,
        person=person,
        media=["photo", "name", "story"],
        channels=[website],
        method="verbal_witnessed",
        witness="Shona MacLeod, manager",
    )
    post = checked(new_post(alice, website, people=[person], channels=[website, mastodon]))
    post = decide(
        alice,
        post,
        [FaceDecisionInput(FaceChoice.PERSON, person), FaceDecisionInput(FaceChoice.BLUR)],
    )
    blockers = revision_blockers(post.current_revision)
    assert [b.code for b in blockers if b.code.startswith("consent_")]
    assert not revision_blockers(post.current_revision, channels=[website])
    # Blur her instead: she is no longer pictured, so only her story consent counts.
    post = decide(alice, post, [FaceDecisionInput(FaceChoice.BLUR)])
    assert not [
        b
        for b in revision_blockers(post.current_revision, channels=[website, mastodon])
        if "photo" in b.message.lower()
    ]


def test_a_tagged_person_not_linked_to_a_face_needs_no_photo_consent(
    alice: Any, carol: Any, website: Any, person: Any, checker: FakeChecker
) -> None:
    consent_record(
        membership=carol,
        person=person,
        media=["story", "name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Shona MacLeod, manager",
    )
    post = checked(new_post(alice, website, people=[person]))
    post = decide(
        alice, post, [FaceDecisionInput(FaceChoice.BLUR), FaceDecisionInput(FaceChoice.BLUR)]
    )
    assert codes(post) == set()
    post = decide(alice, post, [FaceDecisionInput(FaceChoice.PERSON, person)])
    assert any(c.startswith("consent_") for c in codes(post))


def test_a_face_cannot_be_linked_to_someone_not_tagged(
    alice: Any, website: Any, person: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    with pytest.raises(ValidationFailed, match="not tagged"):
        decide(alice, post, [FaceDecisionInput(FaceChoice.PERSON, person)])


def test_a_face_from_another_photo_is_refused(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    other = checked(new_post(alice, website))
    rp = post.current_revision.photos.get()
    foreign = other.current_revision.photos.get().photo.faces.first()
    with pytest.raises(ValidationFailed, match="not in that photo"):
        post_faces_decide(
            membership=alice,
            post=post,
            expected_version=post.version,
            decisions={rp.pk: {foreign.pk: FaceDecisionInput(FaceChoice.BLUR)}},
        )


def test_face_choices_with_a_stale_version_are_a_conflict(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    rp, faces = faces_of(post)
    with pytest.raises(ConflictError):
        post_faces_decide(
            membership=alice,
            post=post,
            expected_version=post.version - 1,
            decisions={rp.pk: {faces[0].pk: FaceDecisionInput(FaceChoice.BLUR)}},
        )


def test_another_worker_cannot_decide_faces_on_my_post(
    alice: Any, bob: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    with pytest.raises(PermissionDenied):
        decide(bob, post, [FaceDecisionInput(FaceChoice.BLUR)])


def test_saving_the_same_choices_again_makes_no_new_version(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    post = decide(alice, post, [FaceDecisionInput(FaceChoice.BLUR)])
    again = decide(alice, post, [FaceDecisionInput(FaceChoice.BLUR)])
    assert again.current_revision_id == post.current_revision_id


def test_choices_carry_over_to_the_next_version_but_not_for_untagged_people(
    alice: Any, website: Any, consented: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website, people=[consented]))
    post = decide(
        alice,
        post,
        [FaceDecisionInput(FaceChoice.PERSON, consented), FaceDecisionInput(FaceChoice.BLUR)],
    )
    old = post.current_revision
    rp = old.photos.get()
    post = post_update(
        membership=alice,
        post=post,
        expected_version=post.version,
        draft=DraftInput(
            text="New words.",
            channels=[website],
            people=[],
            photos=[PhotoInput(alt_text=rp.alt_text, photo=rp.photo)],
        ),
    )
    new = post.current_revision.photos.get()
    assert [d.choice for d in new.face_decisions.order_by("face__number")] == ["blur"]
    assert "face_undecided" in codes(post)
    # The earlier version keeps exactly what it said.
    assert FaceDecision.objects.filter(revision_photo__revision=old).count() == 2
    assert new.published_copy.name == rp.published_copy.name  # same blur: copy reused


def test_changing_face_choices_after_approval_sends_the_post_back_to_review(
    alice: Any, rita: Any, website: Any, consented: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website, people=[consented]))
    post = decide(
        alice,
        post,
        [FaceDecisionInput(FaceChoice.BLUR), FaceDecisionInput(FaceChoice.BLUR)],
    )
    post = approve(rita, submit(alice, post))
    pub = Publication.objects.get(post=post)
    post = decide(alice, post, [FaceDecisionInput(FaceChoice.PERSON, consented)])
    pub.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW and post.approved_revision_id is None
    assert pub.state == PublicationState.CANCELLED


# --- faces the detector missed ---------------------------------------------------------------


def test_a_reviewer_marks_a_missed_face_which_then_blocks_until_decided(
    alice: Any, rita: Any, website: Any, checker: FakeChecker
) -> None:
    checker.faces = []
    post = submit(alice, checked(new_post(alice, website)))
    assert codes(post) == set()
    rp = post.current_revision.photos.get()
    face = face_mark(membership=rita, revision_photo=rp, box=FaceBox(100, 20, 50, 50))
    assert (face.number, face.source, face.created_by_id) == (1, "manual", rita.user_id)
    assert last_event("photo.face_marked").data["number"] == 1
    assert "face_undecided" in codes(post)
    with pytest.raises(ValidationFailed):
        approve(rita, post)


def test_a_marked_face_is_kept_inside_the_photo_and_must_not_be_tiny(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    rp = post.current_revision.photos.get()
    face = face_mark(membership=alice, revision_photo=rp, box=FaceBox(280, 190, 100, 100))
    assert (face.x + face.w, face.y + face.h) == SIZE
    with pytest.raises(ValidationFailed, match="too small"):
        face_mark(membership=alice, revision_photo=rp, box=FaceBox(10, 10, 3, 3))


def test_other_people_cannot_mark_faces(
    alice: Any, bob: Any, olga: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    rp = post.current_revision.photos.get()
    with pytest.raises(PermissionDenied):
        face_mark(membership=bob, revision_photo=rp, box=FaceBox(10, 10, 40, 40))
    with pytest.raises(PermissionDenied):
        face_mark(membership=olga, revision_photo=rp, box=FaceBox(10, 10, 40, 40))


# --- words in the photo ---------------------------------------------------------------------


def test_a_blocking_finding_in_the_photo_text_blocks(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    checker.faces = []
    checker.findings = [
        {
            "check": "location",
            "code": "location.address",
            "action": "block",
            "start": 0,
            "end": 14,
            "text": "12 Thistle Row",
            "message": "This looks like a home address.",
            "source": "image",
        },
        {
            "check": "face",
            "code": "face.found",
            "action": "block",
            "start": 0,
            "end": 0,
            "text": "",
            "message": "A face.",
            "box": {"x": 1, "y": 1, "w": 5, "h": 5},
        },
    ]
    post = checked(new_post(alice, website))
    found = ScreeningFinding.objects.get(revision=post.current_revision)
    assert (found.source, found.code, found.revision_photo.position) == (
        "image",
        "location.address",
        0,
    )
    assert "finding_location.address" in codes(post)


def test_a_review_finding_in_the_photo_text_is_accepted_by_a_reviewer(
    alice: Any, rita: Any, website: Any, checker: FakeChecker
) -> None:
    checker.faces = []
    checker.findings = [
        {
            "check": "special_category",
            "code": "health.condition",
            "action": "review",
            "start": 0,
            "end": 8,
            "text": "dementia",
            "message": "A health detail.",
        }
    ]
    post = submit(alice, checked(new_post(alice, website)))
    finding = ScreeningFinding.objects.get(revision=post.current_revision)
    assert codes(post) == {"finding_health.condition"}
    finding_acknowledge(membership=rita, finding=finding, reason="It is the name of the group.")
    assert codes(post) == set()
    assert approve(rita, post).status == PostStatus.APPROVED


def test_a_name_on_a_badge_needs_the_person_tagged_and_named_consent(
    alice: Any, website: Any, person: Any, checker: FakeChecker
) -> None:
    checker.faces = []
    checker.findings = [
        {
            "check": "person",
            "code": "person.name",
            "action": "block",
            "start": 0,
            "end": 6,
            "text": "Nessie",
            "message": "This is the name of a person supported.",
            "person_id": str(person.pk),
        }
    ]
    post = checked(new_post(alice, website))
    assert "person_not_tagged" in codes(post)


# --- views: scoping, progress and the exact published image ------------------------------------


def login(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def test_the_published_photo_is_only_for_staff_who_may_see_the_post(
    client: Client, alice: Any, bob: Any, rita: Any, olga: Any, website: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website))
    rp = post.current_revision.photos.get()
    url = f"/posts/{post.pk}/photos/{rp.pk}/published/"
    response = login(client, alice).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert login(Client(), rita).get(url).status_code == 200
    assert login(Client(), bob).get(url).status_code == 403
    assert login(Client(), olga).get(url).status_code == 404


def test_the_post_page_shows_each_face_with_a_choice_and_the_counts(
    client: Client, alice: Any, website: Any, consented: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website, people=[consented]))
    body = login(client, alice).get(f"/posts/{post.pk}/").content.decode()
    assert "2 faces found" in body and "1 person tagged" in body
    assert "Face 1 in photo 1" in body and "Face 2 in photo 1" in body
    assert "This is Nessie" in body and "Blur this face" in body
    assert "GPS position removed before publishing" in body


def test_the_progress_fragment_asks_for_a_reload_when_the_check_is_done(
    client: Client, alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = new_post(alice, website)
    login(client, alice)
    page = client.get(f"/posts/{post.pk}/").content.decode()
    assert f'hx-get="/posts/{post.pk}/photos/status/"' in page
    pending = client.get(f"/posts/{post.pk}/photos/status/", HTTP_HX_REQUEST="true")
    assert "Checking photo 1" in pending.content.decode() and "HX-Refresh" not in pending
    checked(post)
    done = client.get(f"/posts/{post.pk}/photos/status/", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"


def test_face_choices_are_saved_from_the_post_page(
    client: Client, alice: Any, website: Any, consented: Any, checker: FakeChecker
) -> None:
    post = checked(new_post(alice, website, people=[consented]))
    rp, faces = faces_of(post)
    response = login(client, alice).post(
        f"/posts/{post.pk}/faces/",
        {
            "version": post.version,
            f"face_{rp.pk}_{faces[0].pk}": f"person-{consented.pk}",
            f"face_{rp.pk}_{faces[1].pk}": "blur",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    new = post.current_revision.photos.get()
    assert {d.face.number: d.choice for d in new.face_decisions.all()} == {
        1: "person",
        2: "blur",
    }


def test_a_face_is_marked_by_keyboard_with_a_grid_cell(
    client: Client, alice: Any, bob: Any, olga: Any, website: Any, checker: FakeChecker
) -> None:
    checker.faces = []
    post = checked(new_post(alice, website))
    rp = post.current_revision.photos.get()
    url = f"/posts/{post.pk}/photos/{rp.pk}/faces/new/"
    assert login(Client(), bob).post(url, {"cell": "9"}).status_code == 403
    assert login(Client(), olga).post(url, {"cell": "9"}).status_code == 404
    assert login(client, alice).post(url, {"cell": "9"}).status_code == 302
    face = rp.photo.faces.get()
    assert (face.x, face.y, face.w, face.h) == (200, 132, 100, 66)


def test_the_sweep_restarts_lost_and_stalled_checks(
    alice: Any, website: Any, checker: FakeChecker
) -> None:
    post = new_post(alice, website)
    photo = Photo.objects.get(uses__revision__post=post)
    assert photo_services.photo_analysis_sweep() == 0  # just uploaded: its own task is coming

    # Its task was lost: a minute later the sweep wakes it.
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert photo_services.photo_analysis_sweep() == 1
    photo.refresh_from_db()
    assert photo.analysis_state == AnalysisState.DONE

    # A worker died mid-check: after ten minutes the check starts again.
    Photo.objects.filter(pk=photo.pk).update(
        analysis_state=AnalysisState.RUNNING,
        analysis_started_at=timezone.now() - timedelta(minutes=11),
    )
    calls = checker.calls
    photo_services.photo_analysis_sweep()
    photo.refresh_from_db()
    assert photo.analysis_state == AnalysisState.DONE
    assert checker.calls > calls
