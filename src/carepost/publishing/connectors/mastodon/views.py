"""Connecting a Mastodon account: the OAuth authorisation code flow, on any server.

1. `connect` asks for the channel name, the server's address and who sees the posts;
   `reconnect` confirms an existing channel. Both check the server, register Carepost
   as an app on it, keep a random `state` and the app's credentials (the secret
   encrypted, common.crypto) in the session, and send the browser to the server's
   authorisation page.
2. `callback` refuses any answer whose `state` is missing or does not match, or that
   arrives for another organisation or user; then exchanges the code for a token,
   asks which account it belongs to, and connects or reconnects the channel through
   channel_services. Tokens and secrets never reach a page, a message or the audit log.

Only reviewers and organisation administrators get past any step
(channel_services.require_channel_manager). No network call runs inside a transaction.
"""

from __future__ import annotations

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
from carepost.publishing.connectors.mastodon import oauth
from carepost.publishing.connectors.mastodon.forms import ConnectForm, VisibilityForm
from carepost.publishing.models import Channel, ChannelKind

SESSION_KEY = "carepost_mastodon_connect"
FLOW_MAX_AGE = 15 * 60  # seconds from leaving for the server to coming back


def _stop(
    request: HttpRequest, title: str, message: str, *, again_url: str, status: int = 400
) -> HttpResponse:
    return render(
        request,
        "connectors/mastodon/stopped.html",
        {"title": title, "message": message, "again_url": again_url},
        status=status,
    )


def _start(
    request: HttpRequest,
    membership: Membership,
    *,
    instance_url: str,
    name: str,
    visibility: str,
    channel: Channel | None,
) -> HttpResponse:
    """Register Carepost on the server and go to its authorisation page (SetupError if not)."""
    state = secrets.token_urlsafe(32)
    redirect_uri = request.build_absolute_uri(reverse("channels_mastodon:callback"))
    registration = oauth.register(instance_url=instance_url, redirect_uri=redirect_uri, state=state)
    request.session[SESSION_KEY] = {
        "state": state,
        "organisation_id": membership.organisation_id,
        "user_id": request.user.pk,
        "channel_id": channel.pk if channel else None,
        "name": name,
        "visibility": visibility,
        "instance_url": instance_url,
        "domain": registration.domain,
        "redirect_uri": redirect_uri,
        "client_id": registration.client_id,
        "client_secret": encrypt(registration.client_secret.encode()).decode(),
        "started": time.time(),
    }
    return redirect(registration.authorise_url)


@login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    taken = set(selectors.channels_for(membership=membership).values_list("name", flat=True))
    form = ConnectForm(request.POST or None, taken=taken)
    if request.method == "POST" and form.is_valid():
        try:
            return _start(
                request,
                membership,
                instance_url=form.cleaned_data["instance_url"],
                name=form.cleaned_data["name"],
                visibility=form.cleaned_data["visibility"],
                channel=None,
            )
        except oauth.SetupError as exc:
            form.add_error("instance_url", exc.message)
    return render(request, "connectors/mastodon/connect.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = channel_manager(request)
    channel = selectors.channel_for(
        membership=membership, channel_id=channel_id, kind=ChannelKind.MASTODON
    )
    form = VisibilityForm(
        request.POST or None, initial={"visibility": channel.config.get("visibility", "public")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            instance_url = oauth.normalise_instance_url(channel.config.get("instance_url", ""))
            return _start(
                request,
                membership,
                instance_url=instance_url,
                name=channel.name,
                visibility=form.cleaned_data["visibility"],
                channel=channel,
            )
        except oauth.SetupError as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "connectors/mastodon/reconnect.html",
        {
            "form": form,
            "channel": channel,
            "host": oauth.host_of(channel.config.get("instance_url", "")),
        },
    )


@login_required
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    flow: dict[str, Any] | None = request.session.pop(SESSION_KEY, None)
    state = request.GET.get("state", "")
    channels_url = reverse("channels:list")
    if (
        not flow
        or not state
        or not constant_time_compare(state, flow["state"])
        or flow["organisation_id"] != membership.organisation_id
        or flow["user_id"] != request.user.pk
    ):
        return _stop(
            request,
            "Nothing was connected",
            "Carepost did not recognise this answer from Mastodon, so nothing was connected. "
            "This happens when connecting was started in another window or on another "
            "organisation, or the link is old. Please start again.",
            again_url=channels_url,
        )
    if flow["channel_id"]:
        again_url = reverse(
            "channels_mastodon:reconnect", kwargs={"channel_id": flow["channel_id"]}
        )
    else:
        again_url = reverse("channels_mastodon:connect")
    host = oauth.host_of(flow["instance_url"])
    if time.time() - flow["started"] > FLOW_MAX_AGE:
        return _stop(
            request,
            "Nothing was connected",
            f"Signing in on {host} took too long, so nothing was connected. Please start again.",
            again_url=again_url,
        )
    if request.GET.get("error"):
        denied = request.GET["error"] == "access_denied"
        return _stop(
            request,
            "Nothing was connected",
            f"Access was not allowed on {host}, so nothing was connected. To connect the "
            "account, start again and choose “Authorise” on the Mastodon page."
            if denied
            else f"{host} did not give Carepost access, so nothing was connected. Please "
            "start again.",
            again_url=again_url,
            status=200 if denied else 400,
        )
    code = request.GET.get("code", "")
    if not code:
        return _stop(
            request,
            "Nothing was connected",
            f"{host} did not send back a sign-in code, so nothing was connected. Please "
            "start again.",
            again_url=again_url,
        )
    channel = (
        selectors.channel_for(
            membership=membership, channel_id=flow["channel_id"], kind=ChannelKind.MASTODON
        )
        if flow["channel_id"]
        else None
    )
    client_secret = decrypt(flow["client_secret"].encode()).decode()
    try:
        grant = oauth.exchange(
            instance_url=flow["instance_url"],
            client_id=flow["client_id"],
            client_secret=client_secret,
            redirect_uri=flow["redirect_uri"],
            code=code,
            domain=flow["domain"],
        )
    except oauth.SetupError as exc:
        return _stop(request, "Nothing was connected", exc.message, again_url=again_url)
    credentials = {
        "access_token": grant.access_token,
        "client_id": flow["client_id"],
        "client_secret": client_secret,
    }
    config = {
        "instance_url": flow["instance_url"],
        "account": grant.account,
        "account_id": grant.account_id,
        "visibility": flow["visibility"],
    }
    try:
        if channel is None:
            channel = channel_services.channel_connect(
                membership=membership,
                kind=ChannelKind.MASTODON,
                name=flow["name"],
                config=config,
                credentials=credentials,
            )
            messages.success(
                request,
                f"{channel.name} is connected. Approved posts can now go to {grant.account}.",
            )
        else:
            earlier = channel.config.get("account_id")
            if earlier and earlier != grant.account_id:
                return _stop(
                    request,
                    "Nothing was reconnected",
                    f"You signed in as {grant.account}, but {channel.name} posts as "
                    f"{channel.config.get('account', 'another account')}. Sign in as that "
                    "account to reconnect it, or connect a new channel for "
                    f"{grant.account}.",
                    again_url=again_url,
                )
            channel_services.channel_reconnect(
                membership=membership, channel=channel, credentials=credentials, config=config
            )
            messages.success(
                request,
                f"{channel.name} is reconnected. Posts that were waiting for it will go out now.",
            )
    except ValidationFailed as exc:
        return _stop(request, "Nothing was connected", exc.message, again_url=again_url)
    return redirect("channels:list")
