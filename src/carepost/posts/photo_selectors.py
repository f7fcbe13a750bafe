"""Reads about a post's photos: faces, choices, what the check found. Scoped like posts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from carepost.accounts.models import Membership
from carepost.consent.models import Person
from carepost.posts.models import (
    AnalysisState,
    FaceChoice,
    FaceDecision,
    FaceRegion,
    PostRevision,
    RevisionPhoto,
    ScreeningFinding,
)
from carepost.posts.selectors import post_for


@dataclass
class FaceRow:
    face: FaceRegion
    decision: FaceDecision | None
    # Position over the photo, in percent of its width and height (for the outline).
    left: str
    top: str
    width: str
    height: str

    @property
    def summary(self) -> str:
        if self.decision is None:
            return "not decided yet"
        if self.decision.choice == FaceChoice.BLUR:
            return "blurred in the published photo"
        assert self.decision.person is not None
        return f"this is {self.decision.person.display_name}"


@dataclass
class PhotoReview:
    rp: RevisionPhoto
    faces: list[FaceRow]
    findings: list[ScreeningFinding]
    metadata: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.rp.position + 1

    @property
    def state(self) -> str:
        return self.rp.photo.analysis_state

    @property
    def checking(self) -> bool:
        return self.state in (AnalysisState.PENDING, AnalysisState.RUNNING)

    @property
    def failed(self) -> bool:
        return self.state == AnalysisState.FAILED

    @property
    def undecided(self) -> int:
        return sum(1 for f in self.faces if f.decision is None)

    @property
    def blurred(self) -> int:
        return sum(1 for f in self.faces if f.decision and f.decision.choice == FaceChoice.BLUR)


def _pct(value: int, total: int) -> str:
    return f"{100 * value / max(total, 1):.3f}%"


def photo_reviews(revision: PostRevision) -> list[PhotoReview]:
    """One entry per photo of `revision` (the caller has already checked access to its post)."""
    reviews = []
    rps = revision.photos.select_related("photo").prefetch_related(
        "photo__faces",
        "face_decisions__person",
    )
    image_findings: dict[int, list[ScreeningFinding]] = {}
    for f in revision.findings.filter(revision_photo__isnull=False).select_related(
        "person", "acknowledged_by"
    ):
        assert f.revision_photo_id is not None
        image_findings.setdefault(f.revision_photo_id, []).append(f)
    for rp in rps:
        photo = rp.photo
        decisions = {d.face_id: d for d in rp.face_decisions.all()}
        faces = [
            FaceRow(
                face=face,
                decision=decisions.get(face.pk),
                left=_pct(face.x, photo.width),
                top=_pct(face.y, photo.height),
                width=_pct(face.w, photo.width),
                height=_pct(face.h, photo.height),
            )
            for face in photo.faces.all()
        ]
        report = photo.report or {}
        reviews.append(
            PhotoReview(
                rp=rp,
                faces=faces,
                findings=image_findings.get(rp.pk, []),
                metadata=list(report.get("metadata", [])),
                notes=list(report.get("notes", [])),
            )
        )
    return reviews


def photo_checks_pending(revision: PostRevision) -> bool:
    return revision.photos.filter(
        photo__analysis_state__in=[AnalysisState.PENDING, AnalysisState.RUNNING]
    ).exists()


def revision_photo_for(*, membership: Membership, post_id: int, rp_id: int) -> RevisionPhoto:
    """A photo of any version of a post the member may see (404 / 403 like the post)."""
    post = post_for(membership=membership, post_id=post_id)
    rp = (
        RevisionPhoto.objects.select_related("photo", "revision__post")
        .filter(pk=rp_id, revision__post=post)
        .first()
    )
    if rp is None:
        raise Http404("No such photo")
    return rp


def tagged_people(revision: PostRevision) -> list[Person]:
    return list(revision.people.all())
