"""Who you are acting as, and the ids you need to write a draft."""

from django.http import HttpRequest
from ninja import Router

from carepost.accounts.selectors import services_for
from carepost.api.auth import membership_of
from carepost.api.schemas import (
    ERROR_RESPONSES,
    ChannelOut,
    MeOut,
    PersonOut,
    ServiceOut,
    channel_out,
    me_out,
    person_out,
    service_out,
)
from carepost.consent.selectors import people_for
from carepost.posts.selectors import posts_visible_to
from carepost.publishing.selectors import channels_for

router = Router(tags=["Organisation"])


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, summary="Who the token acts as")
def me(request: HttpRequest) -> MeOut:
    return me_out(membership_of(request))


@router.get(
    "/channels",
    response={200: list[ChannelOut], **ERROR_RESPONSES},
    summary="The organisation's channels",
)
def list_channels(request: HttpRequest) -> list[ChannelOut]:
    return [channel_out(c) for c in channels_for(membership=membership_of(request))]


@router.get(
    "/services",
    response={200: list[ServiceOut], **ERROR_RESPONSES},
    summary="The organisation's services",
)
def list_services(request: HttpRequest) -> list[ServiceOut]:
    return [service_out(s) for s in services_for(membership=membership_of(request))]


@router.get(
    "/people",
    response={200: list[PersonOut], **ERROR_RESPONSES},
    summary="The people supported, to tag as featured in a post",
    description="Members of the publishing desk only "
    "(workers, reviewers, organisation administrators).",
)
def list_people(request: HttpRequest) -> list[PersonOut]:
    membership = membership_of(request)
    posts_visible_to(membership=membership)  # the same role check as the desk's draft form
    return [person_out(p) for p in people_for(membership=membership)]
