from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.publishing import selectors, services
from carepost.publishing.forms import TakeDownForm


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
            services.publication_take_down(
                membership=membership, publication=publication, reason=form.cleaned_data["reason"]
            )
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Taking it down from {publication.channel.name}.")
    return redirect("posts:detail", post_id=publication.post_id)
