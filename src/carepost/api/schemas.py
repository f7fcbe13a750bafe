"""Request and response shapes of the JSON API, and the builders that fill them.

Responses are built explicitly from what the selectors return (never from a raw
model dump), so the API shows exactly what the publishing desk shows and nothing
more. Personal data is kept to what a member of the organisation already sees in
the UI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from carepost.accounts.models import Membership, Service
from carepost.consent.models import Person
from carepost.posts.gates import Blocker
from carepost.posts.models import Post, PostRevision, RevisionPhoto, ScreeningFinding
from carepost.posts.selectors import PostPage
from carepost.publishing.models import Channel, Publication
from carepost.review.models import Review

# --------------------------------------------------------------------------- errors


class ErrorOut(Schema):
    detail: str = Field(..., description="What went wrong, in plain English.")


class ValidationErrorOut(Schema):
    detail: str = Field(..., description="What went wrong, in plain English.")
    errors: list[dict[str, object]] = Field(
        default_factory=list,
        description="Each field that could not be read, as django-ninja reports it.",
    )


# Documented on every operation; the bodies come from carepost.api.errors.
ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ValidationErrorOut,
}


# ------------------------------------------------------------------ reference data


def _user_name(user: object) -> str:
    return str(user) if user is not None else ""


class UserOut(Schema):
    id: int
    name: str


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str


class MeOut(Schema):
    user: UserOut
    organisation: OrganisationOut
    roles: list[str]


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    status: str


class ServiceOut(Schema):
    id: int
    name: str
    kind: str
    sensitivity: str


class PersonOut(Schema):
    id: int
    display_name: str
    legal_name: str
    preferred_name: str
    service_id: int
    service_name: str


class PersonRefOut(Schema):
    id: int
    display_name: str


def user_out(user: object) -> UserOut:
    return UserOut(id=getattr(user, "pk", 0), name=_user_name(user))


def me_out(membership: Membership) -> MeOut:
    org = membership.organisation
    return MeOut(
        user=user_out(membership.user),
        organisation=OrganisationOut(id=org.pk, name=org.name, slug=org.slug),
        roles=sorted(membership.role_names),
    )


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(id=channel.pk, name=channel.name, kind=channel.kind, status=channel.status)


def service_out(service: Service) -> ServiceOut:
    return ServiceOut(
        id=service.pk, name=service.name, kind=service.kind, sensitivity=service.sensitivity
    )


def person_out(person: Person) -> PersonOut:
    return PersonOut(
        id=person.pk,
        display_name=person.display_name,
        legal_name=person.legal_name,
        preferred_name=person.preferred_name,
        service_id=person.service_id,
        service_name=person.service.name,
    )


# --------------------------------------------------------------------------- posts


class DraftIn(Schema):
    text: str = Field(..., description="The words of the post (plain text).")
    channel_ids: list[int] = Field(..., description="Channels to publish on (see GET /channels).")
    person_ids: list[int] = Field(
        default_factory=list,
        description="People supported who are featured, named or pictured (see GET /people).",
    )
    publish_at: datetime | None = Field(
        None,
        description="When to publish (ISO 8601). Empty: as soon as it is approved. "
        "Without an offset: UK time.",
    )
    service_id: int | None = Field(
        None, description="The service the post is about (see GET /services)."
    )


class KeptPhotoIn(Schema):
    photo_id: int = Field(..., description="A photo of the post's current version.")
    alt_text: str = Field(..., description="Description for people who cannot see the photo.")


class PostEditIn(Schema):
    """Only the fields you send change; the rest are carried over from the current version."""

    expected_version: int = Field(..., description="The post's `version` you last read.")
    text: str | None = None
    channel_ids: list[int] | None = None
    person_ids: list[int] | None = None
    publish_at: datetime | None = Field(None, description="Send null to clear it.")
    service_id: int | None = Field(None, description="Send null to clear it.")
    photos: list[KeptPhotoIn] | None = Field(
        None,
        description="The current photos to keep, in order, with their alt text. "
        "Omit to keep them all as they are.",
    )


class VersionIn(Schema):
    expected_version: int = Field(..., description="The post's `version` you last read.")


class DecisionIn(Schema):
    decision: Literal["approve", "request_changes", "reject"]
    revision_id: int = Field(
        ..., description="The exact revision you reviewed (`current_revision.id`)."
    )
    expected_version: int = Field(..., description="The post's `version` you last read.")
    comment: str = Field("", description="Required when requesting changes or rejecting.")


class AcknowledgeIn(Schema):
    reason: str = Field(..., description="Why it is all right to go ahead despite this finding.")


class PhotoOut(Schema):
    photo_id: int
    position: int
    alt_text: str
    width: int
    height: int
    content_type: str


class RevisionOut(Schema):
    id: int
    number: int
    text: str
    channels: list[ChannelOut]
    people: list[PersonRefOut]
    photos: list[PhotoOut]
    publish_at: datetime | None
    created_at: datetime
    created_by: UserOut
    screened_at: datetime | None
    screening_verdict: str


class RevisionSummaryOut(Schema):
    id: int
    number: int
    created_at: datetime
    created_by: UserOut


class FindingOut(Schema):
    id: int
    revision_id: int
    check_name: str
    code: str
    action: str = Field(..., description="block (must be fixed), review (needs a reason) or warn.")
    start: int
    end: int
    text: str
    message: str
    person: PersonRefOut | None
    acknowledged: bool
    acknowledged_by: UserOut | None
    acknowledged_at: datetime | None
    acknowledgement_reason: str


class BlockerOut(Schema):
    code: str
    message: str


class ReviewOut(Schema):
    id: int
    revision_id: int
    is_open: bool
    opened_at: datetime
    outcome: str
    decided_by: UserOut | None
    decided_at: datetime | None
    comment: str


class PublicationOut(Schema):
    id: int
    post_id: int
    revision_id: int
    channel: ChannelOut
    state: str
    scheduled_at: datetime
    published_at: datetime | None
    url: str
    attempts: int
    last_error: str
    take_down_requested_at: datetime | None
    take_down_reason: str
    take_down_outcome: str
    taken_down_at: datetime | None


class PostSummaryOut(Schema):
    id: int
    title: str
    status: str
    status_label: str
    version: int
    author: UserOut
    service_id: int | None
    current_revision_id: int | None
    approved_revision_id: int | None
    created_at: datetime
    updated_at: datetime


class QueueItemOut(PostSummaryOut):
    finding_count: int
    blocking_finding_count: int


class PostDetailOut(PostSummaryOut):
    current_revision: RevisionOut
    revisions: list[RevisionSummaryOut]
    findings: list[FindingOut]
    blockers: list[BlockerOut]
    allowed_actions: list[str] = Field(
        ..., description="What you may do to this post now (the same list the buttons come from)."
    )
    reviews: list[ReviewOut]
    publications: list[PublicationOut]


class PostListOut(Schema):
    count: int
    items: list[PostSummaryOut]


class QueueOut(Schema):
    count: int
    items: list[QueueItemOut]


class PublicationListOut(Schema):
    count: int
    items: list[PublicationOut]


def _summary_fields(post: Post) -> dict[str, object]:
    return {
        "id": post.pk,
        "title": post.title,
        "status": post.status,
        "status_label": post.get_status_display(),
        "version": post.version,
        "author": user_out(post.author),
        "service_id": post.service_id,
        "current_revision_id": post.current_revision_id,
        "approved_revision_id": post.approved_revision_id,
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def post_summary_out(post: Post) -> PostSummaryOut:
    return PostSummaryOut.model_validate(_summary_fields(post))


def queue_item_out(post: Post) -> QueueItemOut:
    findings = list(post.current_revision.findings.all()) if post.current_revision else []
    return QueueItemOut.model_validate(
        {
            **_summary_fields(post),
            "finding_count": len(findings),
            "blocking_finding_count": sum(1 for f in findings if f.action == "block"),
        }
    )


def photo_out(rp: RevisionPhoto) -> PhotoOut:
    return PhotoOut(
        photo_id=rp.photo_id,
        position=rp.position,
        alt_text=rp.alt_text,
        width=rp.photo.width,
        height=rp.photo.height,
        content_type=rp.photo.content_type,
    )


def revision_out(revision: PostRevision) -> RevisionOut:
    return RevisionOut(
        id=revision.pk,
        number=revision.number,
        text=revision.text,
        channels=[channel_out(c) for c in revision.channels.all()],
        people=[PersonRefOut(id=p.pk, display_name=p.display_name) for p in revision.people.all()],
        photos=[photo_out(rp) for rp in revision.photos.all()],
        publish_at=revision.publish_at,
        created_at=revision.created_at,
        created_by=user_out(revision.created_by),
        screened_at=revision.screened_at,
        screening_verdict=revision.screening_verdict,
    )


def finding_out(finding: ScreeningFinding) -> FindingOut:
    person = finding.person
    return FindingOut(
        id=finding.pk,
        revision_id=finding.revision_id,
        check_name=finding.check_name,
        code=finding.code,
        action=finding.action,
        start=finding.start,
        end=finding.end,
        text=finding.text,
        message=finding.message,
        person=PersonRefOut(id=person.pk, display_name=person.display_name) if person else None,
        acknowledged=finding.acknowledged_at is not None,
        acknowledged_by=user_out(finding.acknowledged_by) if finding.acknowledged_by_id else None,
        acknowledged_at=finding.acknowledged_at,
        acknowledgement_reason=finding.acknowledgement_reason,
    )


def blocker_out(blocker: Blocker) -> BlockerOut:
    return BlockerOut(code=blocker.code, message=blocker.message)


def review_out(review: Review) -> ReviewOut:
    return ReviewOut(
        id=review.pk,
        revision_id=review.revision_id,
        is_open=review.is_open,
        opened_at=review.opened_at,
        outcome=review.outcome,
        decided_by=user_out(review.decided_by) if review.decided_by_id else None,
        decided_at=review.decided_at,
        comment=review.comment,
    )


def publication_out(publication: Publication) -> PublicationOut:
    return PublicationOut(
        id=publication.pk,
        post_id=publication.post_id,
        revision_id=publication.revision_id,
        channel=channel_out(publication.channel),
        state=publication.state,
        scheduled_at=publication.scheduled_at,
        published_at=publication.published_at,
        url=publication.url,
        attempts=publication.attempts,
        last_error=publication.last_error,
        take_down_requested_at=publication.take_down_requested_at,
        take_down_reason=publication.take_down_reason,
        take_down_outcome=publication.take_down_outcome,
        taken_down_at=publication.taken_down_at,
    )


def post_detail_out(page: PostPage) -> PostDetailOut:
    return PostDetailOut.model_validate(
        {
            **_summary_fields(page.post),
            "current_revision": revision_out(page.revision),
            "revisions": [
                RevisionSummaryOut(
                    id=r.pk,
                    number=r.number,
                    created_at=r.created_at,
                    created_by=user_out(r.created_by),
                )
                for r in page.revisions
            ],
            "findings": [finding_out(f) for f in page.findings],
            "blockers": [blocker_out(b) for b in page.blockers],
            "allowed_actions": sorted(str(a) for a in page.actions),
            "reviews": [review_out(r) for r in page.reviews],
            "publications": [publication_out(p) for p in page.publications],
        }
    )
