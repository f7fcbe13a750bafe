"""Reads of channels and publications; the public news page reads only live items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.common.errors import PermissionDenied, ValidationFailed
from carepost.posts.models import PostRevision, RevisionPhoto
from carepost.publishing.connectors.registry import limits_for
from carepost.publishing.models import (
    Channel,
    ChannelKind,
    ChannelStatus,
    Publication,
    PublicationState,
)
from carepost.publishing.previews import (
    ChannelInfo,
    ChannelPreview,
    PhotoInfo,
    PreviewWarning,
    build_previews,
    platform_problems,
)


def channels_for(*, membership: Membership) -> QuerySet[Channel]:
    return Channel.objects.filter(organisation=membership.organisation).order_by("kind", "name")


def channel_for(*, membership: Membership, channel_id: int, kind: str | None = None) -> Channel:
    """One of the membership's organisation's channels (of `kind`, if given), else 404."""
    channel = Channel.objects.filter(pk=channel_id, organisation=membership.organisation).first()
    if channel is None or (kind is not None and channel.kind != kind):
        raise Http404("No such channel")
    return channel


def publications_for(*, membership: Membership) -> QuerySet[Publication]:
    if not membership.has_role(Role.REVIEWER, Role.ORG_ADMIN):
        raise PermissionDenied("Only reviewers see all publications.")
    return (
        Publication.objects.filter(organisation=membership.organisation)
        .select_related("channel", "post", "revision")
        .order_by("-created_at")
    )


def publication_for(*, membership: Membership, publication_id: int) -> Publication:
    publication = (
        Publication.objects.filter(pk=publication_id, organisation=membership.organisation)
        .select_related("channel", "post", "revision", "organisation")
        .first()
    )
    if publication is None:
        raise Http404("No such publication")
    if not membership.has_role(Role.REVIEWER, Role.ORG_ADMIN):
        # Others may see a publication only if they may see its post (403 otherwise).
        from carepost.posts.selectors import post_for

        post_for(membership=membership, post_id=publication.post_id)
    return publication


def _live_website(organisation: Organisation) -> QuerySet[Publication]:
    return (
        Publication.objects.filter(
            organisation=organisation,
            channel__kind=ChannelKind.WEBSITE,
            state=PublicationState.PUBLISHED,
            take_down_requested_at__isnull=True,
        )
        .select_related("revision", "organisation")
        .prefetch_related(
            Prefetch("revision__photos", queryset=RevisionPhoto.objects.select_related("photo"))
        )
        .order_by("-published_at", "-pk")
    )


def news_items(*, organisation: Organisation, limit: int = 50) -> list[Publication]:
    return list(_live_website(organisation)[:limit])


def news_item(*, organisation: Organisation, publication_id: int) -> Publication:
    item = _live_website(organisation).filter(pk=publication_id).first()
    if item is None:
        raise Http404("This news item is not available.")
    return item


def news_photo(*, organisation: Organisation, publication_id: int, position: int) -> RevisionPhoto:
    """A photo of a live website item; gone the moment the item is taken down."""
    item = news_item(organisation=organisation, publication_id=publication_id)
    photo = (
        RevisionPhoto.objects.filter(revision=item.revision, position=position)
        .select_related("photo")
        .first()
    )
    if photo is None:
        raise Http404("No such photo")
    return photo


# -- per-platform previews ---------------------------------------------------------------
def _channel_info(channel: Channel) -> ChannelInfo:
    return ChannelInfo(
        pk=channel.pk, name=channel.name, kind=channel.kind, kind_label=channel.get_kind_display()
    )


def _photo_info(rp: RevisionPhoto) -> PhotoInfo:
    size: int | None
    try:
        size = rp.published_copy.size if rp.published_copy else rp.photo.clean_copy.size
    except (OSError, ValueError):
        size = None
    return PhotoInfo(
        alt_text=rp.alt_text,
        width=rp.photo.width,
        height=rp.photo.height,
        size_bytes=size,
        url=_photo_url(rp),
    )


def _photo_url(rp: RevisionPhoto) -> str:
    """The exact image that goes out (faces blurred), for staff; the clean copy before."""
    try:
        return reverse(
            "posts:published_photo", kwargs={"post_id": rp.revision.post_id, "rp_id": rp.pk}
        )
    except NoReverseMatch:
        return reverse("posts:photo_preview", kwargs={"photo_id": rp.photo_id})


def revision_previews(
    *, revision: PostRevision, channels: Iterable[Channel] | None = None
) -> list[ChannelPreview]:
    """How this exact version will look on each of its channels (or on `channels`)."""
    chosen = list(channels) if channels is not None else list(revision.channels.all())
    photos = [_photo_info(rp) for rp in revision.photos.select_related("photo", "revision")]
    return build_previews(
        text=revision.text,
        photos=photos,
        channels=[_channel_info(c) for c in sorted(chosen, key=lambda c: (c.kind, c.name))],
    )


def draft_previews(
    *,
    membership: Membership,
    text: str,
    channel_ids: Iterable[int],
    revision: PostRevision | None = None,
) -> list[ChannelPreview]:
    """Previews while writing: the typed text, the chosen channels (this organisation's
    only) and the photos already saved with the post being edited."""
    channels = channels_for(membership=membership).filter(pk__in=list(channel_ids))
    photos = (
        [_photo_info(rp) for rp in revision.photos.select_related("photo", "revision")]
        if revision is not None
        else []
    )
    return build_previews(text=text, photos=photos, channels=[_channel_info(c) for c in channels])


def revision_platform_problems(
    revision: PostRevision, *, channels: Iterable[object] | None = None
) -> list[PreviewWarning]:
    """What a platform would refuse (too long, too many photos): used by posts/gates.py."""
    chosen = [
        c
        for c in (channels if channels is not None else revision.channels.all())
        if isinstance(c, Channel)
    ]
    return platform_problems(
        text=revision.text,
        n_photos=revision.photos.count(),
        channels=[_channel_info(c) for c in chosen],
    )


# -- outcomes on the post page, and what needs attention ---------------------------------
@dataclass(frozen=True)
class PublicationOutcome:
    """One publication as the post page shows it: the platform's outcome in words."""

    publication: Publication
    deletion_note: str
    waiting: str  # why nothing is happening right now, or ""
    take_down: str  # "", "pending", "done", "failed", "not_possible"
    can_take_down: bool
    needs_person: bool


def _deletion_note(kind: str) -> str:
    try:
        return limits_for(kind).deletion_note
    except ValidationFailed:
        return ""


def publication_outcomes(
    *, publications: Iterable[Publication], now: datetime | None = None
) -> list[PublicationOutcome]:
    now = now or timezone.now()
    rows = []
    notes: dict[str, str] = {}
    for pub in publications:
        channel = pub.channel
        if channel.kind not in notes:
            notes[channel.kind] = _deletion_note(channel.kind)
        requested = pub.take_down_requested_at is not None
        outcome = pub.take_down_outcome
        if not requested:
            take_down = ""
        elif pub.state in (PublicationState.TAKEN_DOWN, PublicationState.CANCELLED):
            take_down = "done"
        elif outcome.startswith("not possible"):
            take_down = "not_possible"
        elif outcome.startswith("failed"):
            take_down = "failed"
        else:
            take_down = "pending"
        waiting = ""
        busy = pub.state in (PublicationState.QUEUED, PublicationState.UNKNOWN) or take_down in (
            "pending",
            "failed",
        )
        if busy and channel.status == ChannelStatus.NEEDS_REAUTH:
            waiting = (
                f"{channel.name} needs reconnecting. Nothing is lost: "
                + (
                    "the take-down will be carried out"
                    if take_down in ("pending", "failed")
                    else "it will go out"
                )
                + " as soon as a reviewer reconnects it on the Channels page."
            )
        elif busy and channel.paused_until is not None and channel.paused_until > now:
            local = timezone.localtime(channel.paused_until)
            waiting = (
                f"{channel.name} asked Carepost to slow down. It carries on after {local:%H:%M}."
            )
        rows.append(
            PublicationOutcome(
                publication=pub,
                deletion_note=notes[channel.kind],
                waiting=waiting,
                take_down=take_down,
                can_take_down=not requested
                and pub.state
                in (
                    PublicationState.QUEUED,
                    PublicationState.SENDING,
                    PublicationState.PUBLISHED,
                    PublicationState.UNKNOWN,
                ),
                needs_person=take_down == "not_possible"
                or (pub.state == PublicationState.UNKNOWN and pub.alerted_at is not None),
            )
        )
    return rows


@dataclass(frozen=True)
class Attention:
    channels: list[tuple[Channel, int]]  # needing reconnection, and what waits for each
    needs_person: list[Publication]
    failed: list[Publication]

    @property
    def anything(self) -> bool:
        return bool(self.channels or self.needs_person or self.failed)


def attention_for(*, membership: Membership, now: datetime | None = None) -> Attention:
    """For the home page: channels to reconnect, and publications a person must check."""
    if not membership.has_role(Role.REVIEWER, Role.ORG_ADMIN):
        raise PermissionDenied("Only reviewers and administrators run the channels.")
    now = now or timezone.now()
    organisation = membership.organisation
    channels = list(
        Channel.objects.filter(
            organisation=organisation, status=ChannelStatus.NEEDS_REAUTH
        ).order_by("name")
    )
    waiting = {
        row["channel"]: row["n"]
        for row in Publication.objects.filter(
            Q(state__in=[PublicationState.QUEUED, PublicationState.UNKNOWN])
            | Q(state=PublicationState.PUBLISHED, take_down_requested_at__isnull=False),
            channel__in=channels,
        )
        .values("channel")
        .annotate(n=Count("pk"))
    }
    needs_person = list(
        Publication.objects.filter(organisation=organisation)
        .filter(
            Q(state=PublicationState.UNKNOWN, alerted_at__isnull=False)
            | Q(
                state__in=[PublicationState.PUBLISHED, PublicationState.UNKNOWN],
                take_down_outcome__startswith="not possible",
            )
        )
        .select_related("channel")
        .order_by("-updated_at")[:20]
    )
    failed = list(
        Publication.objects.filter(
            organisation=organisation,
            state=PublicationState.FAILED,
            updated_at__gte=now - timedelta(days=7),
        )
        .select_related("channel")
        .order_by("-updated_at")[:20]
    )
    return Attention(
        channels=[(c, waiting.get(c.pk, 0)) for c in channels],
        needs_person=needs_person,
        failed=failed,
    )
