"""Drafts and posts: list, read, create, edit, add photos, submit, withdraw, archive.

Each write is one call to a `carepost.posts.services` function, exactly as the
publishing desk's views make it; each read goes through `carepost.posts.selectors`.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from carepost.accounts.models import Membership, Service
from carepost.accounts.selectors import services_for
from carepost.api.auth import membership_of
from carepost.api.schemas import (
    ERROR_RESPONSES,
    DraftIn,
    PostDetailOut,
    PostEditIn,
    PostListOut,
    VersionIn,
    post_detail_out,
    post_summary_out,
)
from carepost.common.errors import ValidationFailed
from carepost.consent.models import Person
from carepost.consent.selectors import people_for
from carepost.posts import selectors, services
from carepost.posts.models import Post, PostStatus
from carepost.posts.services import DraftInput, PhotoInput
from carepost.publishing.models import Channel
from carepost.publishing.selectors import channels_for

router = Router(tags=["Posts"])

M = TypeVar("M", bound=Model)


class PostFilterIn(Schema):
    status: PostStatus | None = Field(None, description="Only posts in this state.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


# ------------------------------------------------------------------------ helpers


def resolve_ids(queryset: QuerySet[M], ids: Iterable[int], label: str) -> list[M]:
    """Objects of the member's organisation by id, in the order given; unknown ids are a 400."""
    wanted = list(dict.fromkeys(ids))
    found = {obj.pk: obj for obj in queryset.filter(pk__in=wanted)}
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise ValidationFailed(f"Your organisation has no {label} with id {', '.join(missing)}.")
    return [found[i] for i in wanted]


def _channels(membership: Membership, ids: Iterable[int]) -> list[Channel]:
    return resolve_ids(channels_for(membership=membership), ids, "channel")


def _people(membership: Membership, ids: Iterable[int]) -> list[Person]:
    return resolve_ids(people_for(membership=membership), ids, "person supported")


def _service(membership: Membership, service_id: int | None) -> Service | None:
    if service_id is None:
        return None
    return resolve_ids(services_for(membership=membership), [service_id], "service")[0]


def _aware(value: datetime | None) -> datetime | None:
    """A time without an offset is read as the organisation's local (UK) time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def current_draft(post: Post) -> DraftInput:
    """The post's current version as a DraftInput, to change only what the client sent."""
    revision = post.current_revision
    assert revision is not None
    return DraftInput(
        text=revision.text,
        channels=list(revision.channels.all()),
        people=list(revision.people.all()),
        photos=[
            PhotoInput(alt_text=rp.alt_text, photo=rp.photo)
            for rp in revision.photos.select_related("photo")
        ],
        publish_at=revision.publish_at,
        service=post.service,
    )


def _kept_photos(post: Post, kept: Sequence[tuple[int, str]]) -> list[PhotoInput]:
    assert post.current_revision is not None
    current = {rp.photo_id: rp.photo for rp in post.current_revision.photos.select_related("photo")}
    unknown = [str(photo_id) for photo_id, _ in kept if photo_id not in current]
    if unknown:
        raise ValidationFailed(
            f"Photo {', '.join(unknown)} is not on the current version of this post. "
            "Add new photos with POST /posts/{id}/photos."
        )
    return [PhotoInput(alt_text=alt, photo=current[photo_id]) for photo_id, alt in kept]


def post_detail(membership: Membership, post_id: int) -> PostDetailOut:
    return post_detail_out(selectors.post_page(membership=membership, post_id=post_id))


# ---------------------------------------------------------------------- endpoints


@router.get(
    "/posts",
    response={200: PostListOut, **ERROR_RESPONSES},
    summary="List the posts you can see",
    description="Workers see their own posts; reviewers and organisation administrators see all of "
    "the organisation's. Newest change first.",
)
def list_posts(request: HttpRequest, filters: Query[PostFilterIn]) -> PostListOut:
    membership = membership_of(request)
    posts = selectors.posts_visible_to(membership=membership).order_by("-updated_at", "-pk")
    if filters.status:
        posts = posts.filter(status=filters.status)
    page = posts[filters.offset : filters.offset + filters.limit]
    return PostListOut(count=posts.count(), items=[post_summary_out(p) for p in page])


@router.post(
    "/posts",
    response={201: PostDetailOut, **ERROR_RESPONSES},
    summary="Create a draft",
    description="Saves a draft and screens it at once: the response carries the findings and what "
    "still stands in the way of approval. Add photos afterwards with POST /posts/{post_id}/photos.",
)
def create_post(request: HttpRequest, payload: DraftIn) -> Status[PostDetailOut]:
    membership = membership_of(request)
    selectors.posts_visible_to(membership=membership)  # the desk's role check, as in the UI
    draft = DraftInput(
        text=payload.text,
        channels=_channels(membership, payload.channel_ids),
        people=_people(membership, payload.person_ids),
        publish_at=_aware(payload.publish_at),
        service=_service(membership, payload.service_id),
    )
    post = services.post_create(membership=membership, draft=draft)
    return Status(201, post_detail(membership, post.pk))


@router.get(
    "/posts/{post_id}",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Get a post",
    description="The current version with its findings, the blockers to approval, the actions "
    "you may take now, the version to send back with any change, and the post's reviews and "
    "publications.",
)
def get_post(request: HttpRequest, post_id: int) -> PostDetailOut:
    return post_detail(membership_of(request), post_id)


@router.patch(
    "/posts/{post_id}",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Edit a post (saves a new version)",
    description="Only the fields you send change. The edit is screened again; editing a post "
    "that is waiting for review or approved starts a new review.",
)
def edit_post(request: HttpRequest, post_id: int, payload: PostEditIn) -> PostDetailOut:
    membership = membership_of(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    draft = current_draft(post)
    sent = payload.model_fields_set
    if payload.text is not None:
        draft.text = payload.text
    if payload.channel_ids is not None:
        draft.channels = _channels(membership, payload.channel_ids)
    if payload.person_ids is not None:
        draft.people = _people(membership, payload.person_ids)
    if "publish_at" in sent:
        draft.publish_at = _aware(payload.publish_at)
    if "service_id" in sent:
        draft.service = _service(membership, payload.service_id)
    if payload.photos is not None:
        draft.photos = _kept_photos(post, [(p.photo_id, p.alt_text) for p in payload.photos])
    post = services.post_update(
        membership=membership, post=post, expected_version=payload.expected_version, draft=draft
    )
    return post_detail(membership, post.pk)


@router.post(
    "/posts/{post_id}/photos",
    response={201: PostDetailOut, **ERROR_RESPONSES},
    summary="Add a photo (saves a new version)",
    description="multipart/form-data with `photo` (JPEG, PNG or WebP), `alt_text` and "
    "`expected_version`. The photo's metadata (such as GPS position) is removed from the copy that "
    "is published. The post keeps its other photos; the new one goes last.",
)
def add_photo(
    request: HttpRequest,
    post_id: int,
    photo: File[UploadedFile],
    alt_text: Form[str],
    expected_version: Form[int],
) -> Status[PostDetailOut]:
    membership = membership_of(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    if photo.size and photo.size > settings.CAREPOST_PHOTO_MAX_BYTES:
        limit_mb = settings.CAREPOST_PHOTO_MAX_BYTES // (1024 * 1024)
        raise ValidationFailed(
            f"This photo is larger than {limit_mb} MB. Please use a smaller photo."
        )
    draft = current_draft(post)
    draft.photos = [
        *draft.photos,
        PhotoInput(alt_text=alt_text, data=photo.read(), name=photo.name or ""),
    ]
    post = services.post_update(
        membership=membership, post=post, expected_version=expected_version, draft=draft
    )
    return Status(201, post_detail(membership, post.pk))


def _transition(
    request: HttpRequest, post_id: int, payload: VersionIn, service: Callable[..., Post]
) -> PostDetailOut:
    membership = membership_of(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    post = service(membership=membership, post=post, expected_version=payload.expected_version)
    return post_detail(membership, post.pk)


@router.post(
    "/posts/{post_id}/submit",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Send a draft for review",
)
def submit_post(request: HttpRequest, post_id: int, payload: VersionIn) -> PostDetailOut:
    return _transition(request, post_id, payload, services.post_submit)


@router.post(
    "/posts/{post_id}/withdraw",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Withdraw a post from review (it becomes a draft again)",
)
def withdraw_post(request: HttpRequest, post_id: int, payload: VersionIn) -> PostDetailOut:
    return _transition(request, post_id, payload, services.post_withdraw)


@router.post(
    "/posts/{post_id}/archive",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Archive a post",
)
def archive_post(request: HttpRequest, post_id: int, payload: VersionIn) -> PostDetailOut:
    return _transition(request, post_id, payload, services.post_archive)
