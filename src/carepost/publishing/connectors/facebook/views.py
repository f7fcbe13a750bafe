"""Connecting a Facebook Page: Facebook Login (the manual code flow), then pick a Page.

1. `connect` (or `reconnect`) asks for the channel name (or confirms which channel), keeps a
   random `state` in the session and sends the browser to Facebook's login dialog.
2. `callback` refuses any answer whose `state` does not match, exchanges the code for a
   user token, then a long-lived one, and lists the user's Pages. The Page tokens are
   encrypted (common.crypto) into the session: they are never written into a page.
3. `choose` shows the Pages (those without CREATE_CONTENT as not usable, with the
   reason) and connects, or reconnects, the channel through channel_services.

Only reviewers and organisation administrators get past any step
(channel_services.require_channel_manager). No network call runs inside a transaction.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET, require_http_methods

from carepost.accounts.models import Membership
from carepost.common.crypto import decrypt, encrypt
from carepost.common.errors import ValidationFailed
from carepost.publishing import channel_services, selectors
from carepost.publishing.channel_services import channel_manager
from carepost.publishing.connectors.base import ConnectorError
from carepost.publishing.connectors.facebook import graph
from carepost.publishing.connectors.facebook.forms import ChoosePageForm, ConnectForm
from carepost.publishing.models import Channel, ChannelKind

SESSION_KEY = "carepost_facebook_connect"
SCOPES = ("pages_manage_posts", "pages_read_engagement", "pages_show_list")
REQUIRED_TASK = "CREATE_CONTENT"
FLOW_MAX_AGE = 15 * 60  # seconds from starting the login to choosing a Page


def _not_configured(request: HttpRequest) -> HttpResponse:
    return render(request, "connectors/facebook/not_configured.html")


def _stop(request: HttpRequest, title: str, message: str, status: int = 400) -> HttpResponse:
    return render(
        request,
        "connectors/facebook/stopped.html",
        {"title": title, "message": message},
        status=status,
    )


def _start(
    request: HttpRequest, membership: Membership, *, name: str, channel: Channel | None
) -> HttpResponse:
    state = secrets.token_urlsafe(32)
    redirect_uri = request.build_absolute_uri(reverse("channels_facebook:callback"))
    request.session[SESSION_KEY] = {
        "state": state,
        "organisation_id": membership.organisation_id,
        "name": name,
        "channel_id": channel.pk if channel else None,
        "redirect_uri": redirect_uri,
        "started": time.time(),
    }
    return redirect(graph.dialog_url(redirect_uri=redirect_uri, state=state, scopes=SCOPES))


def _pending(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    pending = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    if pending.get("organisation_id") != membership.organisation_id:
        return None
    if time.time() - float(pending.get("started", 0)) > FLOW_MAX_AGE:
        request.session.pop(SESSION_KEY, None)
        return None
    return pending


@login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    if not graph.app_configured():
        return _not_configured(request)
    taken = set(selectors.channels_for(membership=membership).values_list("name", flat=True))
    form = ConnectForm(request.POST or None, taken=taken)
    if request.method == "POST" and form.is_valid():
        return _start(request, membership, name=form.cleaned_data["name"], channel=None)
    return render(request, "connectors/facebook/connect.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = channel_manager(request)
    channel = selectors.channel_for(
        membership=membership, channel_id=channel_id, kind=ChannelKind.FACEBOOK
    )
    if not graph.app_configured():
        return _not_configured(request)
    if request.method == "POST":
        return _start(request, membership, name=channel.name, channel=channel)
    return render(request, "connectors/facebook/reconnect.html", {"channel": channel})


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    pending = _pending(request, membership)
    state = request.GET.get("state", "")
    expected = (pending or {}).get("state") or ""
    if not pending or not state or not expected or not constant_time_compare(state, expected):
        return _stop(
            request,
            "Connection refused",
            "This answer from Facebook does not match a connection started from this "
            "browser, or it has expired, so Carepost ignored it. Nothing was changed. "
            "Start again from the Channels page.",
        )
    # The state is single use, whatever happens next.
    pending["state"] = None
    request.session[SESSION_KEY] = pending
    if request.GET.get("error"):
        request.session.pop(SESSION_KEY, None)
        if request.GET.get("error") == "access_denied":
            return _stop(
                request,
                "Facebook Page not connected",
                "You cancelled on Facebook, so no Page was connected and nothing was "
                "changed. You can start again whenever you are ready.",
                status=200,
            )
        return _stop(
            request,
            "Facebook Page not connected",
            "Facebook did not finish the connection, so nothing was changed. Please try "
            "again; if it keeps happening, ask your administrator to check the Facebook app.",
        )
    code = request.GET.get("code", "")
    if not code:
        request.session.pop(SESSION_KEY, None)
        return _stop(
            request,
            "Connection refused",
            "Facebook's answer had no authorisation code, so nothing was changed. "
            "Start again from the Channels page.",
        )
    try:
        user_token = graph.exchange_code(code=code, redirect_uri=pending["redirect_uri"])
        long_lived = graph.exchange_long_lived(user_token=user_token)
        pages = graph.list_pages(user_token=long_lived)
    except ConnectorError as exc:
        request.session.pop(SESSION_KEY, None)
        return _stop(
            request,
            "Facebook Page not connected",
            "Facebook did not complete the connection, so nothing was changed. Please try "
            f"again in a few minutes. What Facebook said: {graph.redact(exc.message)}",
            status=502,
        )
    pending["pages"] = encrypt(json.dumps(pages).encode()).decode()
    request.session[SESSION_KEY] = pending
    return redirect("channels_facebook:choose")


def _page_rows(pages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    usable, unusable = [], []
    for page in pages:
        row = {"id": page["id"], "name": page["name"]}
        if REQUIRED_TASK in page.get("tasks", []):
            usable.append(row)
        else:
            row["reason"] = (
                "Your Facebook role on this Page does not let you create content. "
                "Ask one of its administrators to give you that permission."
            )
            unusable.append(row)
    return usable, unusable


@login_required
@require_http_methods(["GET", "POST"])
def choose(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    pending = _pending(request, membership)
    if not pending or not pending.get("pages"):
        messages.error(request, "That connection has expired or was already finished.")
        return redirect("channels:list")
    pages: list[dict[str, Any]] = json.loads(decrypt(pending["pages"].encode()))
    usable, unusable = _page_rows(pages)
    channel = (
        selectors.channel_for(
            membership=membership,
            channel_id=int(pending["channel_id"]),
            kind=ChannelKind.FACEBOOK,
        )
        if pending.get("channel_id")
        else None
    )
    required = None
    if channel is not None:
        required = {
            "id": str(channel.config.get("page_id", "")),
            "name": str(channel.config.get("page_name") or channel.name),
        }
    form = ChoosePageForm(request.POST or None, pages=usable, required_page=required)
    context = {
        "form": form,
        "usable": usable,
        "unusable": unusable,
        "channel": channel,
        "required": required,
        "required_missing": bool(required and required["id"] not in {p["id"] for p in usable}),
        "name": pending.get("name", ""),
        "selected": form.data.get("page") if form.is_bound else (required or {}).get("id"),
    }
    if request.method == "POST" and form.is_valid():
        page = next(p for p in pages if p["id"] == form.cleaned_data["page"])
        config = {
            "page_id": page["id"],
            "page_name": page["name"],
            "account": f"Facebook Page: {page['name']}",
            "graph_version": graph.graph_version(),
        }
        credentials = {"page_access_token": page["access_token"]}
        try:
            if channel is None:
                channel = channel_services.channel_connect(
                    membership=membership,
                    kind=ChannelKind.FACEBOOK,
                    name=pending["name"],
                    config=config,
                    credentials=credentials,
                )
                done = f"{channel.name} is connected to the Facebook Page {page['name']}."
            else:
                channel = channel_services.channel_reconnect(
                    membership=membership,
                    channel=channel,
                    credentials=credentials,
                    config=config,
                )
                done = f"{channel.name} is reconnected. Posts waiting for it will now go out."
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, done)
            return redirect("channels:list")
    return render(request, "connectors/facebook/choose.html", context)
