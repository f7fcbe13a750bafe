"""The publication outbox: list, read, take down."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from carepost.api.auth import membership_of
from carepost.api.schemas import (
    ERROR_RESPONSES,
    PublicationListOut,
    PublicationOut,
    publication_out,
)
from carepost.publishing import selectors, services
from carepost.publishing.models import PublicationState

router = Router(tags=["Publications"])


class PublicationFilterIn(Schema):
    state: PublicationState | None = Field(None, description="Only publications in this state.")
    post_id: int | None = Field(None, description="Only this post's publications.")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class TakeDownIn(Schema):
    reason: str = Field(..., description="Why it is being taken down (kept in the audit log).")


@router.get(
    "/publications",
    response={200: PublicationListOut, **ERROR_RESPONSES},
    summary="List publications",
    description="Every publication of the organisation, newest first. Reviewers and organisation "
    "administrators only; authors see their own post's publications on GET /posts/{post_id}.",
)
def list_publications(
    request: HttpRequest, filters: Query[PublicationFilterIn]
) -> PublicationListOut:
    publications = selectors.publications_for(membership=membership_of(request))
    if filters.state:
        publications = publications.filter(state=filters.state)
    if filters.post_id is not None:
        publications = publications.filter(post_id=filters.post_id)
    page = publications[filters.offset : filters.offset + filters.limit]
    return PublicationListOut(count=publications.count(), items=[publication_out(p) for p in page])


@router.get(
    "/publications/{publication_id}",
    response={200: PublicationOut, **ERROR_RESPONSES},
    summary="Get a publication",
)
def get_publication(request: HttpRequest, publication_id: int) -> PublicationOut:
    membership = membership_of(request)
    publication = selectors.publication_for(membership=membership, publication_id=publication_id)
    return publication_out(publication)


@router.post(
    "/publications/{publication_id}/take-down",
    response={200: PublicationOut, **ERROR_RESPONSES},
    summary="Take a publication down",
    description="Reviewers only. A queued publication is cancelled; a live one leaves the news "
    "page and feed at once and is deleted from its platform in the background. The reason is "
    "audited.",
)
def take_down_publication(
    request: HttpRequest, publication_id: int, payload: TakeDownIn
) -> PublicationOut:
    membership = membership_of(request)
    publication = selectors.publication_for(membership=membership, publication_id=publication_id)
    publication = services.publication_take_down(
        membership=membership, publication=publication, reason=payload.reason
    )
    return publication_out(publication)
