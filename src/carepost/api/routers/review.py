"""The review queue, review decisions and accepting screening findings."""

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from carepost.api.auth import membership_of
from carepost.api.routers.posts import post_detail
from carepost.api.schemas import (
    ERROR_RESPONSES,
    AcknowledgeIn,
    DecisionIn,
    FindingOut,
    PostDetailOut,
    QueueOut,
    finding_out,
    queue_item_out,
)
from carepost.posts import selectors
from carepost.posts import services as post_services
from carepost.review import services

router = Router(tags=["Review"])

DECISIONS = {
    "approve": services.review_approve,
    "request_changes": services.review_request_changes,
    "reject": services.review_reject,
}


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get(
    "/review/queue",
    response={200: QueueOut, **ERROR_RESPONSES},
    summary="The review queue",
    description="Posts waiting for review that you may decide on: never your own. Reviewers only. "
    "Oldest first.",
)
def review_queue(request: HttpRequest, page: Query[PageIn]) -> QueueOut:
    posts = selectors.review_queue(membership=membership_of(request))
    items = posts[page.offset : page.offset + page.limit]
    return QueueOut(count=posts.count(), items=[queue_item_out(p) for p in items])


@router.post(
    "/posts/{post_id}/decision",
    response={200: PostDetailOut, **ERROR_RESPONSES},
    summary="Decide on a post in review: approve, request changes or reject",
    description="Send the `revision_id` you reviewed and the `version` you read. Approval pins "
    "that exact revision and queues one publication per channel; it is refused while any blocker "
    "remains. A comment is required to request changes or reject. You can never decide on your "
    "own post.",
)
def decide_post(request: HttpRequest, post_id: int, payload: DecisionIn) -> PostDetailOut:
    membership = membership_of(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    DECISIONS[payload.decision](
        membership=membership,
        post=post,
        revision_id=payload.revision_id,
        expected_version=payload.expected_version,
        comment=payload.comment,
    )
    return post_detail(membership, post.pk)


@router.post(
    "/findings/{finding_id}/acknowledge",
    response={200: FindingOut, **ERROR_RESPONSES},
    summary="Accept a screening finding, with a reason",
    description="For findings that need a reason to go ahead (action `review`). Findings that "
    "must be fixed (action `block`) cannot be accepted: edit the post instead. Reviewers only, and "
    "not on their own post.",
)
def acknowledge_finding(
    request: HttpRequest, finding_id: int, payload: AcknowledgeIn
) -> FindingOut:
    membership = membership_of(request)
    finding = selectors.finding_for(membership=membership, finding_id=finding_id)
    finding = post_services.finding_acknowledge(
        membership=membership, finding=finding, reason=payload.reason
    )
    return finding_out(finding)
