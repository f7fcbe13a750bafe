"""Thin views for the publishing desk: selector → form → one service → render."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.common.registry import panels_for
from carepost.posts import selectors, services
from carepost.posts.forms import (
    FACE_CELLS,
    AcknowledgeForm,
    DecisionForm,
    FaceDecisionsForm,
    PostForm,
    VersionForm,
)
from carepost.posts.models import Post, PostStatus
from carepost.posts.photo_selectors import photo_reviews
from carepost.publishing.forms import TakeDownForm
from carepost.publishing.selectors import publication_outcomes, revision_previews
from carepost.publishing.views import previews_for_form
from carepost.review.workflow import Action


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    panels = panels_for(request, membership)
    if not membership.has_role(*selectors.DESK_ROLES):
        return render(request, "posts/no_desk.html", {"panels": panels})
    context = {
        "panels": panels,
        "posts": selectors.desk_posts(membership=membership),
        "is_reviewer": membership.has_role(Role.REVIEWER),
        "queue_count": selectors.review_queue(membership=membership).count()
        if membership.has_role(Role.REVIEWER)
        else 0,
    }
    return render(request, "posts/desk.html", context)


@login_required
def post_new(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    selectors.posts_visible_to(membership=membership)  # role check
    form = PostForm(request.POST or None, request.FILES or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(membership=membership, draft=form.to_draft())
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Draft saved and screened. Check the findings, then send it for review."
            )
            return redirect("posts:detail", post_id=post.pk)
    context = {
        "form": form,
        "post": None,
        "previews": previews_for_form(
            membership=membership, data=request.POST if request.method == "POST" else None
        ),
    }
    return render(request, "posts/edit.html", context, status=400 if form.errors else 200)


@login_required
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = require_membership(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    form = PostForm(
        request.POST or None,
        request.FILES or None,
        membership=membership,
        post=post,
        initial=PostForm.initial_for(post),
    )
    version_form = VersionForm(request.POST or None, initial={"version": post.version})
    if request.method == "POST" and form.is_valid() and version_form.is_valid():
        try:
            post = services.post_update(
                membership=membership,
                post=post,
                expected_version=version_form.cleaned_data["version"],
                draft=form.to_draft(),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Your changes are saved as a new version and have been screened again."
            )
            return redirect("posts:detail", post_id=post.pk)
    context = {
        "form": form,
        "post": post,
        "version_form": version_form,
        "previews": previews_for_form(
            membership=membership,
            data=request.POST if request.method == "POST" else None,
            post=post,
        ),
    }
    return render(request, "posts/edit.html", context, status=400 if form.errors else 200)


@login_required
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = require_membership(request)
    page = selectors.post_page(membership=membership, post_id=post_id)
    context = {
        "page": page,
        "decision_form": DecisionForm(
            initial={"revision": page.revision.pk, "version": page.post.version}
        ),
        "ack_form": AcknowledgeForm(),
        "take_down_form": TakeDownForm(),
        "previews": revision_previews(revision=page.revision),
        "outcomes": publication_outcomes(publications=page.publications),
        **photo_review_context(membership, page),
    }
    return render(request, "posts/detail.html", context)


def photo_review_context(membership: Membership, page: selectors.PostPage) -> dict[str, object]:
    """The photo review beside the post: faces, choices (for the author), missed faces."""
    reviews = photo_reviews(page.revision)
    post = page.post
    can_decide = Action.EDIT in page.actions
    return {
        "photo_reviews": reviews,
        "photos_checking": any(r.checking for r in reviews),
        "any_faces": any(r.faces for r in reviews),
        "tagged_people": list(page.revision.people.all()),
        "face_form": FaceDecisionsForm(initial={"version": post.version}, revision=page.revision)
        if can_decide
        else None,
        "can_mark_faces": post.status
        in (
            PostStatus.DRAFT,
            PostStatus.CHANGES_REQUESTED,
            PostStatus.IN_REVIEW,
            PostStatus.APPROVED,
        )
        and (can_decide or membership.has_role(Role.REVIEWER)),
        "face_cells": [("", "Choose where the face is"), *FACE_CELLS],
    }


def _simple_transition(
    request: HttpRequest, post_id: int, service: Callable[..., Post], done: str
) -> HttpResponse:
    membership = require_membership(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Something was missing from the form. Please try again.")
        return redirect("posts:detail", post_id=post.pk)
    service(membership=membership, post=post, expected_version=form.cleaned_data["version"])
    messages.success(request, done)
    return redirect("posts:detail", post_id=post.pk)


@login_required
@require_POST
def post_submit(request: HttpRequest, post_id: int) -> HttpResponse:
    return _simple_transition(
        request, post_id, services.post_submit, "Sent for review. A reviewer will look at it soon."
    )


@login_required
@require_POST
def post_withdraw(request: HttpRequest, post_id: int) -> HttpResponse:
    return _simple_transition(
        request, post_id, services.post_withdraw, "Withdrawn from review. It is a draft again."
    )


@login_required
@require_POST
def post_archive(request: HttpRequest, post_id: int) -> HttpResponse:
    return _simple_transition(request, post_id, services.post_archive, "Archived.")


@login_required
@require_POST
def finding_acknowledge(request: HttpRequest, finding_id: int) -> HttpResponse:
    membership = require_membership(request)
    finding = selectors.finding_for(membership=membership, finding_id=finding_id)
    form = AcknowledgeForm(request.POST)
    post_id = finding.revision.post_id
    if not form.is_valid():
        messages.error(request, "Please give a reason for going ahead.")
        return redirect("posts:detail", post_id=post_id)
    try:
        services.finding_acknowledge(
            membership=membership, finding=finding, reason=form.cleaned_data["reason"]
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Finding accepted, with your reason on record.")
    return redirect("posts:detail", post_id=post_id)


@login_required
def photo_preview(request: HttpRequest, photo_id: int) -> FileResponse:
    """The clean copy, exactly as it will be published (staff only)."""
    membership = require_membership(request)
    photo = selectors.photo_for(membership=membership, photo_id=photo_id)
    response = FileResponse(photo.clean_copy.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
