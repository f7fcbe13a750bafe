"""Reads of channels and publications; the public news page reads only live items."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.common.errors import PermissionDenied
from carepost.posts.models import RevisionPhoto
from carepost.publishing.models import Channel, ChannelKind, Publication, PublicationState


def channels_for(*, membership: Membership) -> QuerySet[Channel]:
    return Channel.objects.filter(organisation=membership.organisation).order_by("kind", "name")


def channel_for(*, membership: Membership, channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id, organisation=membership.organisation).first()
    if channel is None:
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
