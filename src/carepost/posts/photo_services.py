"""Writes about photos: the face and text check, marking missed faces, the published copy.

The check runs in a task (`posts/tasks.py::analyse_photo`) and is a small state machine
on the photo row (`Photo.analysis_state`):

    pending ──claimed by the task──▶ running ──▶ done
       ▲                               │
       └──────── try again ◀── failed ◀┘   (also: running for too long → try again)

Decisions about faces (who each face is, or blur it) belong to one version of a post and
are saved like any edit (`posts.services.post_faces_decide`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.audit.services import audit_event_record
from carepost.common.errors import InvalidTransition, PermissionDenied, ValidationFailed
from carepost.common.tasks import enqueue_on_commit
from carepost.consent.models import Person
from carepost.posts.models import (
    AnalysisState,
    FaceChoice,
    FaceDecision,
    FaceRegion,
    FaceSource,
    Photo,
    PostRevision,
    PostStatus,
    RevisionPhoto,
    ScreeningFinding,
)
from carepost.posts.photos import photo_limits
from carepost.screening.photos import Box, PhotoRejected, inspect, read_metadata, render_clean

logger = logging.getLogger(__name__)

# A check still "running" after this long lost its worker: it may be started again.
STALE_AFTER = timedelta(minutes=5)
# The smallest face box anyone may mark, in pixels of the full-size photo.
MIN_FACE_SIDE = 8
IMAGE_FINDING_CHECKS_SKIPPED = ("metadata", "face")  # shown from the report and the faces


def analysis_enqueue(photo: Photo) -> None:
    """Wake the task for `photo` after the surrounding transaction commits."""
    from carepost.posts.tasks import analyse_photo

    enqueue_on_commit(analyse_photo, photo.pk)


# --- the check (run by the task) ------------------------------------------------------


def _progress(photo_id: int, percent: int) -> None:
    Photo.objects.filter(pk=photo_id, analysis_state=AnalysisState.RUNNING).update(
        analysis_progress=percent
    )


def _plain_error(exc: Exception) -> str:
    if isinstance(exc, PhotoRejected):
        return exc.message[:500]
    return "something went wrong while checking it"


def photo_analyse(*, photo_id: int) -> Photo | None:
    """Find faces, read text, screen that text. Idempotent: only a pending photo is claimed."""
    started = timezone.now()
    claimed = Photo.objects.filter(pk=photo_id, analysis_state=AnalysisState.PENDING).update(
        analysis_state=AnalysisState.RUNNING,
        analysis_progress=5,
        analysis_started_at=started,
        analysis_error="",
    )
    if not claimed:
        return None
    photo = Photo.objects.select_related("organisation").get(pk=photo_id)
    try:
        with photo.original.open("rb") as f:
            data = f.read()
        _progress(photo_id, 15)
        limits = photo_limits()
        found = inspect(data, limits=limits, faces=True, ocr=False)
        _progress(photo_id, 55)
        from carepost.posts.screening import organisation_register
        from carepost.screening import Policy

        read = inspect(
            data,
            limits=limits,
            register=organisation_register(photo.organisation),
            policy=Policy.default(),
            faces=False,
            ocr=True,
        )
        _progress(photo_id, 90)
        with photo.clean_copy.open("rb") as f:
            left_in_clean = read_metadata(f.read())
    except Exception as exc:  # any failure is recorded and shown; nothing is published
        if not isinstance(exc, PhotoRejected):
            logger.exception("Checking photo %s failed", photo_id)
        return _analysis_finish_failed(photo, _plain_error(exc))
    report: dict[str, object] = {
        "format": found.format,
        "notes": list(found.notes),
        # Values are not kept: a GPS position is exactly what must not spread.
        "metadata": [
            {"kind": m.kind, "label": m.label, "blocking": m.blocking} for m in found.metadata
        ],
        "clean_metadata": [
            {"kind": m.kind, "label": m.label, "blocking": m.blocking} for m in left_in_clean
        ],
        "text": [{"text": t.text[:200], "box": t.box.to_dict()} for t in read.text],
        "findings": [
            f for f in read.findings if f.get("check") not in IMAGE_FINDING_CHECKS_SKIPPED
        ],
    }
    return _analysis_finish_done(photo, found.faces, report)


def _analysis_finish_done(photo: Photo, faces: list[Box], report: dict[str, object]) -> Photo:
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.analysis_state != AnalysisState.RUNNING:
            return locked  # somebody reset it meanwhile: their run decides
        if not locked.faces.filter(source=FaceSource.DETECTOR).exists():
            # Numbered in reading order across the photo: left to right, as people stand.
            faces = sorted(faces, key=lambda b: (b.x, b.y))
            first = (locked.faces.aggregate(n=Max("number"))["n"] or 0) + 1
            FaceRegion.objects.bulk_create(
                [
                    FaceRegion(
                        photo=locked,
                        number=first + i,
                        x=b.x,
                        y=b.y,
                        w=b.w,
                        h=b.h,
                        source=FaceSource.DETECTOR,
                        score=b.score,
                    )
                    for i, b in enumerate(faces)
                ]
            )
        Photo.objects.filter(pk=photo.pk).update(
            analysis_state=AnalysisState.DONE,
            analysis_progress=100,
            analysed_at=timezone.now(),
            report=report,
        )
        locked.refresh_from_db()
        for rp in RevisionPhoto.objects.filter(photo=locked).select_related("revision__post"):
            if rp.revision.post.current_revision_id == rp.revision_id:
                _store_image_findings(rp, locked)
        audit_event_record(
            action="photo.checked",
            subject=locked,
            organisation=locked.organisation,
            data={
                "faces": len(faces),
                "findings": len(report["findings"]),  # type: ignore[arg-type]
            },
        )
    return locked


def _analysis_finish_failed(photo: Photo, error: str) -> Photo:
    with transaction.atomic():
        updated = Photo.objects.filter(pk=photo.pk, analysis_state=AnalysisState.RUNNING).update(
            analysis_state=AnalysisState.FAILED, analysis_error=error, analysis_progress=0
        )
        photo.refresh_from_db()
        if updated:
            audit_event_record(
                action="photo.check_failed",
                subject=photo,
                organisation=photo.organisation,
                data={"error": error},
            )
    return photo


def _store_image_findings(rp: RevisionPhoto, photo: Photo) -> None:
    """Copy the photo's text findings onto one version, once (they are accepted per version)."""
    if photo.analysis_state != AnalysisState.DONE or rp.findings.exists():
        return
    findings = photo.report.get("findings") or []
    if not findings:
        return
    people = {str(p.pk): p for p in Person.objects.filter(organisation_id=photo.organisation_id)}
    ScreeningFinding.objects.bulk_create(
        [
            ScreeningFinding(
                revision_id=rp.revision_id,
                revision_photo=rp,
                check_name=str(f.get("check", ""))[:40],
                code=str(f.get("code", ""))[:80],
                action=f.get("action", "review"),
                source="image",
                start=int(f.get("start") or 0),
                end=int(f.get("end") or 0),
                text=str(f.get("text", ""))[:500],
                message=str(f.get("message", "")),
                person=people.get(str(f.get("person_id"))) if f.get("person_id") else None,
                kind=str(f.get("kind") or "")[:40],
            )
            for f in findings
        ]
    )


def photo_analysis_retry(*, membership: Membership, photo: Photo) -> Photo:
    """Check a photo again after the check failed, or when it has been running too long."""
    _require_desk_member(membership, photo)
    stale = timezone.now() - STALE_AFTER
    with transaction.atomic():
        updated = (
            Photo.objects.filter(pk=photo.pk, analysis_state=AnalysisState.FAILED)
            | Photo.objects.filter(
                pk=photo.pk, analysis_state=AnalysisState.RUNNING, analysis_started_at__lt=stale
            )
        ).update(analysis_state=AnalysisState.PENDING, analysis_progress=0, analysis_error="")
        if not updated:
            raise InvalidTransition("This photo is already being checked, or has been checked.")
        photo.refresh_from_db()
        audit_event_record(
            action="photo.check_restarted",
            subject=photo,
            actor=membership.user,
            organisation=membership.organisation,
        )
        analysis_enqueue(photo)
    return photo


def photo_analysis_wake(*, photo: Photo) -> bool:
    """Enqueue the check again for a photo still pending after a while (a lost wake-up call).

    Writes nothing: the task claims the row, so an extra wake-up is harmless."""
    if photo.analysis_state == AnalysisState.PENDING and photo.created_at < timezone.now() - (
        timedelta(seconds=30)
    ):
        from carepost.posts.tasks import analyse_photo

        analyse_photo.enqueue(photo.pk)
        return True
    return False


def photo_analysis_sweep(*, stale_after: timedelta = timedelta(minutes=10)) -> int:
    """Periodic recovery: re-wake checks whose task was lost, restart ones whose worker died.

    A check normally takes seconds; one still "running" after `stale_after` lost its
    worker, so it goes back to pending (a conditional UPDATE: a live worker finishing at
    that moment keeps its result). Returns how many photos were woken.
    """
    from carepost.posts.tasks import analyse_photo

    now = timezone.now()
    Photo.objects.filter(
        analysis_state=AnalysisState.RUNNING, analysis_started_at__lt=now - stale_after
    ).update(analysis_state=AnalysisState.PENDING, analysis_progress=0)
    pending = list(
        Photo.objects.filter(
            analysis_state=AnalysisState.PENDING, created_at__lt=now - timedelta(seconds=60)
        ).values_list("pk", flat=True)
    )
    for pk in pending:
        analyse_photo.enqueue(pk)
    return len(pending)


# --- faces -----------------------------------------------------------------------------


def _require_desk_member(membership: Membership, photo: Photo) -> None:
    """Reviewers of the photo's organisation, or the author of a post that uses it."""
    if photo.organisation_id != membership.organisation_id:
        raise PermissionDenied("That photo belongs to another organisation.")
    if membership.has_role(Role.REVIEWER):
        return
    if membership.has_role(Role.WORKER) and (
        photo.uploaded_by_id == membership.user_id
        or RevisionPhoto.objects.filter(
            photo=photo, revision__post__author=membership.user
        ).exists()
    ):
        return
    raise PermissionDenied("Only the post's author or a reviewer can do this.")


@dataclass(frozen=True)
class FaceBox:
    x: int
    y: int
    w: int
    h: int


def face_mark(*, membership: Membership, revision_photo: RevisionPhoto, box: FaceBox) -> FaceRegion:
    """Mark a face the detector missed. Every version using the photo must then decide it."""
    photo = revision_photo.photo
    post = revision_photo.revision.post
    _require_desk_member(membership, photo)
    if post.organisation_id != membership.organisation_id:
        raise PermissionDenied("That post belongs to another organisation.")
    if post.status in (PostStatus.ARCHIVED, PostStatus.REJECTED, PostStatus.PUBLISHED):
        raise InvalidTransition("This post is closed: faces can no longer be marked on it.")
    x, y = max(0, box.x), max(0, box.y)
    w = min(box.w, photo.width - x)
    h = min(box.h, photo.height - y)
    if x >= photo.width or y >= photo.height or w < MIN_FACE_SIDE or h < MIN_FACE_SIDE:
        raise ValidationFailed(
            "That box is outside the photo or too small. Draw it around the whole face."
        )
    with transaction.atomic():
        Photo.objects.select_for_update().filter(pk=photo.pk).first()
        number = (photo.faces.aggregate(n=Max("number"))["n"] or 0) + 1
        face = FaceRegion.objects.create(
            photo=photo,
            number=number,
            x=x,
            y=y,
            w=w,
            h=h,
            source=FaceSource.MANUAL,
            created_by=membership.user,
        )
        audit_event_record(
            action="photo.face_marked",
            subject=photo,
            actor=membership.user,
            organisation=membership.organisation,
            data={"face": face.pk, "number": number, "post": post.pk},
        )
    return face


# --- the published copy ---------------------------------------------------------------


def _blur_boxes(rp: RevisionPhoto) -> list[FaceRegion]:
    return [
        d.face
        for d in rp.face_decisions.select_related("face").order_by("face__number")
        if d.choice == FaceChoice.BLUR
    ]


def revision_photo_render(rp: RevisionPhoto) -> None:
    """Make the exact image this version publishes: the clean copy with blurred faces burnt in.

    With nothing to blur the clean copy itself is published. A copy made for an earlier
    version with the same blurred faces is reused."""
    faces = _blur_boxes(rp)
    if not faces:
        if rp.published_copy:
            RevisionPhoto.objects.filter(pk=rp.pk).update(published_copy="")
            rp.published_copy = ""
        return
    wanted = sorted(f.pk for f in faces)
    for other in (
        RevisionPhoto.objects.filter(photo_id=rp.photo_id)
        .exclude(pk=rp.pk)
        .exclude(published_copy="")
        .order_by("-pk")
    ):
        if sorted(f.pk for f in _blur_boxes(other)) == wanted:
            RevisionPhoto.objects.filter(pk=rp.pk).update(published_copy=other.published_copy.name)
            rp.published_copy.name = other.published_copy.name
            return
    with rp.photo.original.open("rb") as f:
        data = f.read()
    try:
        rendered, content_type = render_clean(
            data, blur=[Box(f.x, f.y, f.w, f.h) for f in faces], limits=photo_limits()
        )
    except PhotoRejected as exc:
        raise ValidationFailed(f"Photo {rp.position + 1}: {exc.message}") from exc
    ext = "png" if content_type == "image/png" else "jpg"
    rp.published_copy.save(
        f"{rp.photo.sha256[:16]}-r{rp.revision_id}-{rp.position}.{ext}",
        ContentFile(rendered),
        save=False,
    )
    RevisionPhoto.objects.filter(pk=rp.pk).update(published_copy=rp.published_copy.name)


def revision_photos_prepare(revision: PostRevision) -> None:
    """For a new version: its photos' text findings and published copies (caller's transaction).

    Locks the photo rows so a check finishing at the same moment cannot miss this version."""
    rps = list(revision.photos.select_related("photo"))
    if not rps:
        return
    locked = {
        p.pk: p
        for p in Photo.objects.select_for_update().filter(pk__in=[rp.photo_id for rp in rps])
    }
    for rp in rps:
        photo = locked[rp.photo_id]
        _store_image_findings(rp, photo)
        revision_photo_render(rp)
        if photo.analysis_state == AnalysisState.PENDING and photo.analysis_started_at is None:
            analysis_enqueue(photo)


def face_decisions_summary(revision: PostRevision) -> list[dict[str, object]]:
    """Ids only (the audit log never holds names): which face went which way."""
    return [
        {
            "photo": d.revision_photo.position + 1,
            "face": d.face.number,
            "choice": d.choice,
            "person": d.person_id,
        }
        for d in FaceDecision.objects.filter(revision_photo__revision=revision)
        .select_related("revision_photo", "face")
        .order_by("revision_photo__position", "face__number")
    ]
