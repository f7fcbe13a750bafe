from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carepost.accounts import selectors, services
from carepost.common.errors import ValidationFailed


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="What will use this token?")


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("organisation")
    for m in selectors.memberships_for_user(user=request.user):
        if str(m.organisation_id) == wanted:
            request.session[selectors.SESSION_ORGANISATION_KEY] = m.organisation_id
            return redirect("posts:desk")
    raise Http404("No such organisation")


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    membership = selectors.require_membership(request)
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_secret = services.api_token_create(
                membership=membership, name=form.cleaned_data["name"]
            )
        except ValidationFailed as exc:
            form.add_error("name", exc.message)
        else:
            form = TokenForm()
    context = {
        "form": form,
        "tokens": selectors.api_tokens_for(membership=membership),
        "new_secret": new_secret,
    }
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    membership = selectors.require_membership(request)
    token = selectors.api_tokens_for(membership=membership).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    services.api_token_revoke(membership=membership, token=token)
    messages.success(request, f"Token “{token.name}” revoked. Anything using it will stop working.")
    return redirect("accounts:api_tokens")
