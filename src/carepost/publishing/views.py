from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from carepost.accounts.models import Membership
from carepost.accounts.roles import Role
from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.posts.models import Post
from carepost.publishing import selectors, services
from carepost.publishing.forms import PreviewForm, TakeDownForm
from carepost.publishing.models import ChannelStatus, Publication, PublicationState
from carepost.publishing.previews import ChannelPreview


@login_required
def publications(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    items = selectors.publications_for(membership=membership)[:200]
    return render(request, "publishing/publications.html", {"publications": items})


@login_required
@require_POST
def take_down(request: HttpRequest, publication_id: int) -> HttpResponse:
    membership = require_membership(request)
    publication = selectors.publication_for(membership=membership, publication_id=publication_id)
    form = TakeDownForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please say why the post is being taken down.")
    else:
        try:
            publication = services.publication_take_down(
                membership=membership, publication=publication, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _take_down_message(publication))
    return redirect("posts:detail", post_id=publication.post_id)


def _take_down_message(publication: Publication) -> str:
    name = publication.channel.name
    if publication.state == PublicationState.CANCELLED:
        return f"Cancelled: it will not be sent to {name}."
    if publication.state == PublicationState.TAKEN_DOWN:
        return f"Taken down from {name}."
    if publication.channel.status == ChannelStatus.NEEDS_REAUTH:
        return (
            f"Take-down recorded. {name} needs reconnecting first: the take-down is carried "
            "out as soon as it is reconnected."
        )
    return f"Taking it down from {name}. The outcome shows below."


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """HTMX: the per-platform previews for the text and channels being written."""
    membership = require_membership(request)
    form = PreviewForm(request.POST)
    previews: list[ChannelPreview] = []
    if form.is_valid():
        revision = None
        if post_id := form.cleaned_data.get("post"):
            from carepost.posts.selectors import post_for

            revision = post_for(membership=membership, post_id=post_id).current_revision
        previews = selectors.draft_previews(
            membership=membership,
            text=form.cleaned_data["text"],
            channel_ids=form.cleaned_data["channels"],
            revision=revision,
        )
    return render(request, "publishing/previews.html", {"previews": previews})


def previews_for_form(
    *, membership: Membership, data: QueryDict | None = None, post: Post | None = None
) -> list[ChannelPreview]:
    """For the write/edit page: what was typed (after a failed save) or what is saved."""
    revision = post.current_revision if post is not None else None
    if data:
        form = PreviewForm(data)
        if not form.is_valid():
            return []
        return selectors.draft_previews(
            membership=membership,
            text=form.cleaned_data["text"],
            channel_ids=form.cleaned_data["channels"],
            revision=revision,
        )
    if revision is None:
        return []
    return selectors.revision_previews(revision=revision)


def attention_panel(request: HttpRequest, membership: Membership) -> str:
    """Home page: channels to reconnect and publications a person must check."""
    if not membership.has_role(Role.REVIEWER, Role.ORG_ADMIN):
        return ""
    attention = selectors.attention_for(membership=membership)
    if not attention.anything:
        return ""
    return render_to_string("publishing/panel.html", {"attention": attention}, request=request)
