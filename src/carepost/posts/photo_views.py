"""Thin views for photos on the desk: the check's progress, face choices, missed faces."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.posts import photo_selectors, photo_services, selectors, services
from carepost.posts.forms import FaceDecisionsForm, FaceMarkForm


def _back(post_id: int, anchor: str = "photos-h") -> HttpResponse:
    return redirect(reverse("posts:detail", kwargs={"post_id": post_id}) + f"#{anchor}")


@login_required
def photo_status(request: HttpRequest, post_id: int) -> HttpResponse:
    """The check's progress for the current version's photos (polled by the post page)."""
    membership = require_membership(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    assert post.current_revision is not None
    reviews = photo_selectors.photo_reviews(post.current_revision)
    for review in reviews:
        photo_services.photo_analysis_wake(photo=review.rp.photo)
    checking = any(r.checking for r in reviews)
    if not request.headers.get("HX-Request"):
        return redirect("posts:detail", post_id=post.pk)
    response = render(
        request,
        "posts/_photo_status.html",
        {"post": post, "reviews": reviews, "checking": checking},
    )
    if not checking:
        # Everything is checked: reload the page so the faces and findings appear.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def faces_decide(request: HttpRequest, post_id: int) -> HttpResponse:
    membership = require_membership(request)
    post = selectors.post_for(membership=membership, post_id=post_id)
    assert post.current_revision is not None
    form = FaceDecisionsForm(request.POST, revision=post.current_revision)
    if not form.is_valid():
        messages.error(request, "Something was missing from the form. Please try again.")
        return _back(post.pk)
    before = post.current_revision_id
    try:
        post = services.post_faces_decide(
            membership=membership,
            post=post,
            expected_version=form.cleaned_data["version"],
            decisions=form.decisions(),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return _back(post.pk)
    if post.current_revision_id == before:
        messages.info(request, "Nothing changed: the face choices were already saved.")
    else:
        messages.success(
            request,
            "Face choices saved as a new version. The preview shows the photo exactly as it "
            "will be published.",
        )
    return _back(post.pk)


@login_required
@require_POST
def face_mark(request: HttpRequest, post_id: int, rp_id: int) -> HttpResponse:
    membership = require_membership(request)
    rp = photo_selectors.revision_photo_for(membership=membership, post_id=post_id, rp_id=rp_id)
    form = FaceMarkForm(request.POST)
    box = form.box(rp.photo.width, rp.photo.height) if form.is_valid() else None
    if box is None:
        messages.error(request, "Choose where the face is in the photo, or draw a box around it.")
        return _back(post_id, f"photo-{rp.position + 1}")
    try:
        face = photo_services.face_mark(
            membership=membership, revision_photo=rp, box=photo_services.FaceBox(*box)
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Face {face.number} marked on photo {rp.position + 1}. "
            "Say who it is, or blur it, before the post can be approved.",
        )
    return _back(post_id, f"photo-{rp.position + 1}")


@login_required
@require_POST
def photo_retry(request: HttpRequest, post_id: int, rp_id: int) -> HttpResponse:
    membership = require_membership(request)
    rp = photo_selectors.revision_photo_for(membership=membership, post_id=post_id, rp_id=rp_id)
    photo_services.photo_analysis_retry(membership=membership, photo=rp.photo)
    messages.success(request, f"Checking photo {rp.position + 1} again.")
    return _back(post_id, f"photo-{rp.position + 1}")


@login_required
def published_photo(request: HttpRequest, post_id: int, rp_id: int) -> HttpResponse:
    """Exactly the bytes every channel publishes for this photo of this version (staff only)."""
    membership = require_membership(request)
    rp = photo_selectors.revision_photo_for(membership=membership, post_id=post_id, rp_id=rp_id)
    data, content_type = rp.published_image()
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-cache"
    return response
