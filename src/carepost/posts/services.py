"""Every write to posts: drafting, revising, submitting, withdrawing, archiving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carepost.accounts.models import Membership, Service
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import ConflictError, PermissionDenied, ValidationFailed
from carepost.consent.models import Person
from carepost.posts.models import (
    FaceChoice,
    FaceDecision,
    FaceRegion,
    Photo,
    Post,
    PostRevision,
    PostStatus,
    RevisionPhoto,
    ScreeningFinding,
)
from carepost.posts.photos import photo_intake
from carepost.posts.screening import revision_screen
from carepost.publishing.models import Channel
from carepost.review.workflow import Action, check_action

MAX_TEXT_LENGTH = 5000


@dataclass(frozen=True)
class FaceDecisionInput:
    """One face's choice in a version: a tagged person, or blurred."""

    choice: str  # FaceChoice
    person: Person | None = None


@dataclass
class PhotoInput:
    """Either an existing photo (kept from the previous revision) or a new upload.

    `faces` maps FaceRegion ids of a kept photo to their decisions in the new version;
    None keeps the previous version's decisions (those still valid for the people tagged).
    """

    alt_text: str
    photo: Photo | None = None
    data: bytes | None = None
    name: str = ""
    faces: Mapping[int, FaceDecisionInput] | None = None


@dataclass
class DraftInput:
    text: str
    channels: Sequence[Channel]
    people: Sequence[Person] = ()
    photos: Sequence[PhotoInput] = ()
    publish_at: datetime | None = None
    service: Service | None = None


def _validate(membership: Membership, draft: DraftInput) -> None:
    from django.conf import settings

    org_id = membership.organisation_id
    if len(draft.text) > MAX_TEXT_LENGTH:
        raise ValidationFailed(
            f"The text is longer than {MAX_TEXT_LENGTH} characters. Please shorten it."
        )
    if any(c.organisation_id != org_id for c in draft.channels):
        raise PermissionDenied("That channel belongs to another organisation.")
    if any(p.organisation_id != org_id for p in draft.people):
        raise PermissionDenied("That person is supported by another organisation.")
    if draft.service is not None and draft.service.organisation_id != org_id:
        raise PermissionDenied("That service belongs to another organisation.")
    if len(draft.photos) > settings.CAREPOST_PHOTOS_PER_POST:
        raise ValidationFailed(
            f"A post can have at most {settings.CAREPOST_PHOTOS_PER_POST} photos."
        )
    for i, p in enumerate(draft.photos, start=1):
        if not p.alt_text.strip():
            raise ValidationFailed(
                f"Photo {i} needs a description (alt text) for people who cannot see it."
            )
        if p.photo is not None and p.photo.organisation_id != org_id:
            raise PermissionDenied("That photo belongs to another organisation.")
        if p.faces:
            _validate_faces(i, p, draft)
    if draft.publish_at is not None and draft.publish_at < timezone.now() - timedelta(minutes=1):
        raise ValidationFailed(
            "The publishing time is in the past. Leave it empty to publish on approval."
        )


def _validate_faces(number: int, p: PhotoInput, draft: DraftInput) -> None:
    assert p.faces is not None
    if p.photo is None:
        raise ValidationFailed(f"Photo {number} is new: its faces are found after it is saved.")
    faces = {f.pk: f for f in FaceRegion.objects.filter(photo=p.photo)}
    tagged = {person.pk for person in draft.people}
    for face_id, decision in p.faces.items():
        face = faces.get(face_id)
        if face is None:
            raise ValidationFailed(
                f"A face chosen for photo {number} is not in that photo. Reload the page."
            )
        if decision.choice == FaceChoice.BLUR:
            if decision.person is not None:
                raise ValidationFailed(f"Face {face.number} in photo {number} cannot be both.")
        elif decision.choice == FaceChoice.PERSON:
            if decision.person is None or decision.person.pk not in tagged:
                raise ValidationFailed(
                    f"Face {face.number} in photo {number} is linked to someone who is not "
                    "tagged as featured. Tag them, or choose another option for that face."
                )
        else:
            raise ValidationFailed(
                f"Choose who face {face.number} in photo {number} is, or blur it."
            )


def _store_photos(membership: Membership, draft: DraftInput) -> list[tuple[Photo, str]]:
    """Run intake on new uploads first, so a bad photo fails before anything is saved."""
    cleaned = [
        (p, photo_intake(data=p.data, name=p.name or f"Photo {i}") if p.data is not None else None)
        for i, p in enumerate(draft.photos, start=1)
    ]
    stored: list[tuple[Photo, str]] = []
    for p, clean in cleaned:
        if clean is None:
            assert p.photo is not None
            stored.append((p.photo, p.alt_text.strip()))
            continue
        photo = Photo(
            organisation=membership.organisation,
            uploaded_by=membership.user,
            original_name=p.name[:255],
            content_type=clean.content_type,
            width=clean.width,
            height=clean.height,
            sha256=clean.sha256,
            metadata_found=clean.metadata_found,
        )
        photo.original.save(f"{clean.sha256[:16]}.bin", ContentFile(clean.original), save=False)
        photo.clean_copy.save(
            f"{clean.sha256[:16]}.{clean.extension}", ContentFile(clean.clean), save=False
        )
        photo.save()
        stored.append((photo, p.alt_text.strip()))
    return stored


def _create_revision(
    post: Post, membership: Membership, draft: DraftInput, photos: list[tuple[Photo, str]]
) -> PostRevision:
    from carepost.posts.photo_services import revision_photos_prepare

    previous = post.current_revision
    number = (post.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    revision = PostRevision.objects.create(
        post=post,
        number=number,
        text=draft.text,
        publish_at=draft.publish_at,
        created_by=membership.user,
    )
    revision.channels.set(draft.channels)
    revision.people.set(draft.people)
    revision_photos = [
        RevisionPhoto.objects.create(revision=revision, photo=photo, alt_text=alt, position=i)
        for i, (photo, alt) in enumerate(photos)
    ]
    revision_screen(revision)
    _decide_faces(membership, revision, revision_photos, draft, previous)
    revision_photos_prepare(revision)
    return revision


def _decide_faces(
    membership: Membership,
    revision: PostRevision,
    revision_photos: list[RevisionPhoto],
    draft: DraftInput,
    previous: PostRevision | None,
) -> None:
    """This version's face decisions: as given, or carried over from the previous version."""
    tagged = {p.pk for p in draft.people}
    carried: dict[int, list[FaceDecision]] = {}
    if previous is not None:
        for d in FaceDecision.objects.filter(revision_photo__revision=previous).select_related(
            "revision_photo"
        ):
            carried.setdefault(d.revision_photo.photo_id, []).append(d)
    rows = []
    for rp, given in zip(revision_photos, draft.photos, strict=True):
        if given.faces is not None:
            rows += [
                FaceDecision(
                    revision_photo=rp,
                    face_id=face_id,
                    choice=d.choice,
                    person=d.person if d.choice == FaceChoice.PERSON else None,
                    decided_by=membership.user,
                )
                for face_id, d in given.faces.items()
            ]
            continue
        rows += [
            FaceDecision(
                revision_photo=rp,
                face_id=old.face_id,
                choice=old.choice,
                person_id=old.person_id,
                decided_by=old.decided_by,
            )
            for old in carried.get(rp.photo_id, [])
            if old.choice == FaceChoice.BLUR or old.person_id in tagged
        ]
    FaceDecision.objects.bulk_create(rows)


def _bump(post: Post, *, expected_version: int, **changes: object) -> Post:
    """Conditional update: only if nobody changed the post since `expected_version`."""
    updated = Post.objects.filter(pk=post.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **changes
    )
    if not updated:
        raise ConflictError(
            "Someone else changed this post while you were looking at it. "
            "Reload the page to see the latest version."
        )
    post.refresh_from_db()
    return post


def post_create(*, membership: Membership, draft: DraftInput) -> Post:
    if not membership.has_role(Role.WORKER, Role.REVIEWER):
        raise PermissionDenied("Only workers and reviewers can write posts.")
    _validate(membership, draft)
    with transaction.atomic():
        photos = _store_photos(membership, draft)
        post = Post.objects.create(
            organisation=membership.organisation, service=draft.service, author=membership.user
        )
        revision = _create_revision(post, membership, draft, photos)
        post.current_revision = revision
        post.save(update_fields=["current_revision"])
        audit_event_record(
            action="post.created",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={"revision": revision.number, "verdict": revision.screening_verdict},
        )
    return post


def post_update(
    *, membership: Membership, post: Post, expected_version: int, draft: DraftInput
) -> Post:
    """Save an edit as a new revision. Editing an approved or in-review post starts a new review."""
    from carepost.publishing.services import publications_cancel_unsent
    from carepost.review.services import review_close, review_open

    check_action(membership, post, Action.EDIT)
    _validate(membership, draft)
    with transaction.atomic():
        post = _bump(post, expected_version=expected_version)
        previous_status = post.status
        if previous_status == PostStatus.APPROVED and not publications_cancel_unsent(
            post=post, actor=membership.user
        ):
            raise ConflictError("This post has started publishing, so it can no longer be edited.")
        photos = _store_photos(membership, draft)
        revision = _create_revision(post, membership, draft, photos)
        post.current_revision = revision
        changes: dict[str, object] = {"current_revision": revision}
        if previous_status in (PostStatus.IN_REVIEW, PostStatus.APPROVED):
            review_close(post=post, outcome="superseded", actor=membership.user)
            changes.update(status=PostStatus.IN_REVIEW, approved_revision=None)
        Post.objects.filter(pk=post.pk).update(**changes)
        post.refresh_from_db()
        if post.status == PostStatus.IN_REVIEW:
            review_open(post=post, revision=revision)
        audit_event_record(
            action="post.revised",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "revision": revision.number,
                "from_status": previous_status,
                "to_status": post.status,
                "verdict": revision.screening_verdict,
            },
        )
    return post


def post_submit(*, membership: Membership, post: Post, expected_version: int) -> Post:
    from carepost.review.services import review_open

    transition = check_action(membership, post, Action.SUBMIT)
    with transaction.atomic():
        from_status = post.status
        post = _bump(post, expected_version=expected_version, status=transition.target)
        assert post.current_revision is not None
        review_open(post=post, revision=post.current_revision)
        audit_event_record(
            action="post.submitted",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={"revision": post.current_revision.number, "from_status": from_status},
        )
    return post


def post_withdraw(*, membership: Membership, post: Post, expected_version: int) -> Post:
    from carepost.review.services import review_close

    transition = check_action(membership, post, Action.WITHDRAW)
    with transaction.atomic():
        post = _bump(post, expected_version=expected_version, status=transition.target)
        review_close(post=post, outcome="withdrawn", actor=membership.user)
        audit_event_record(
            action="post.withdrawn",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
        )
    return post


def post_archive(*, membership: Membership, post: Post, expected_version: int) -> Post:
    transition = check_action(membership, post, Action.ARCHIVE)
    with transaction.atomic():
        from_status = post.status
        post = _bump(post, expected_version=expected_version, status=transition.target)
        audit_event_record(
            action="post.archived",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={"from_status": from_status},
        )
    return post


def finding_acknowledge(
    *, membership: Membership, finding: ScreeningFinding, reason: str
) -> ScreeningFinding:
    """A reviewer accepts a 'needs a reason' finding, with the reason on record."""
    post = finding.revision.post
    if post.organisation_id != membership.organisation_id:
        raise PermissionDenied("That post belongs to another organisation.")
    if not membership.has_role(Role.REVIEWER) or post.author_id == membership.user_id:
        raise PermissionDenied("Only a reviewer who did not write the post can accept a finding.")
    if finding.action == "block":
        raise ValidationFailed(
            "This finding must be fixed by editing the post; it cannot be accepted."
        )
    if finding.check_name == "person" and finding.person_id is not None:
        raise ValidationFailed(
            "A person supported cannot be waved through: tag them as featured so their consent is "
            "checked, or edit their name out."
        )
    if finding.revision_id != post.current_revision_id:
        raise ConflictError("This finding belongs to an older version of the post.")
    if finding.acknowledged_at is not None:
        raise ConflictError("This finding has already been accepted.")
    reason = reason.strip()
    if len(reason) < 5:
        raise ValidationFailed("Please give a reason for going ahead (a few words at least).")
    with transaction.atomic():
        updated = ScreeningFinding.objects.filter(
            pk=finding.pk, acknowledged_at__isnull=True
        ).update(
            acknowledged_by=membership.user,
            acknowledged_at=timezone.now(),
            acknowledgement_reason=reason,
        )
        if not updated:
            raise ConflictError("This finding has already been accepted.")
        finding.refresh_from_db()
        audit_event_record(
            action="finding.acknowledged",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={"finding": finding.pk, "code": finding.code, "reason": reason},
        )
    return finding


def post_faces_decide(
    *,
    membership: Membership,
    post: Post,
    expected_version: int,
    decisions: Mapping[int, Mapping[int, FaceDecisionInput | None]],
) -> Post:
    """Say who each face is, or blur it. `decisions`: RevisionPhoto id → {face id → choice}.

    A version freezes what goes out, so the choices are saved as a new version, exactly
    like an edit: an approved or in-review post goes back to review. None undoes a choice.
    """
    from carepost.posts.photo_services import face_decisions_summary

    check_action(membership, post, Action.EDIT)
    revision = post.current_revision
    assert revision is not None
    rps = list(revision.photos.select_related("photo"))
    if set(decisions) - {rp.pk for rp in rps}:
        raise ConflictError(
            "The post was changed after you opened it. Reload the page and choose again."
        )
    photos: list[PhotoInput] = []
    changed = False
    for rp in rps:
        current: dict[int, FaceDecisionInput] = {
            d.face_id: FaceDecisionInput(choice=d.choice, person=d.person)
            for d in rp.face_decisions.select_related("person")
        }
        if rp.pk not in decisions:
            photos.append(PhotoInput(alt_text=rp.alt_text, photo=rp.photo, faces=current))
            continue
        wanted = dict(current)
        for face_id, choice in decisions[rp.pk].items():
            if choice is None:
                wanted.pop(face_id, None)
            else:
                wanted[face_id] = choice
        changed = changed or wanted != current
        photos.append(PhotoInput(alt_text=rp.alt_text, photo=rp.photo, faces=wanted))
    if not changed:
        return post
    draft = DraftInput(
        text=revision.text,
        channels=list(revision.channels.all()),
        people=list(revision.people.all()),
        photos=photos,
        publish_at=revision.publish_at,
        service=post.service,
    )
    with transaction.atomic():
        post = post_update(
            membership=membership, post=post, expected_version=expected_version, draft=draft
        )
        assert post.current_revision is not None
        audit_event_record(
            action="post.faces_decided",
            subject=post,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "revision": post.current_revision.number,
                "faces": face_decisions_summary(post.current_revision),
            },
        )
    return post
