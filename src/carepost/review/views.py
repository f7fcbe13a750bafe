from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.posts import selectors
from carepost.posts.forms import DecisionForm
from carepost.review import services

DONE = {
    "approve": "Approved. It will be published on the chosen channels.",
    "request_changes": "Sent back to the author with your comment.",
    "reject": "Rejected. The author can see your reason.",
}


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    context = {
        "posts": selectors.review_queue(membership=membership),
        "own_waiting": selectors.awaiting_others(membership=membership),
    }
    return render(request, "review/queue.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = require_membership(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please choose a decision.")
        return redirect("posts:detail", post_id=post.pk)
    d = form.cleaned_data
    service = {
        "approve": services.review_approve,
        "request_changes": services.review_request_changes,
        "reject": services.review_reject,
    }[d["decision"]]
    try:
        service(
            membership=membership,
            post=post,
            revision_id=d["revision"],
            expected_version=d["version"],
            comment=d.get("comment") or "",
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("posts:detail", post_id=post.pk)
    messages.success(request, DONE[d["decision"]])
    return redirect("review:queue")
