"""The channels page: what is connected, what needs reconnecting, and adding more."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from carepost.accounts.selectors import require_membership
from carepost.common.errors import ValidationFailed
from carepost.publishing import channel_services, selectors
from carepost.publishing.connectors.registry import limits_for, setup_url_modules
from carepost.publishing.models import ChannelKind


def _setup_url(kind: str, name: str, **kwargs: int) -> str:
    try:
        return reverse(f"channels_{kind}:{name}", kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    membership = require_membership(request)
    channel_services.require_channel_manager(membership)
    channels = []
    for channel in selectors.channels_for(membership=membership):
        channels.append(
            {
                "channel": channel,
                "limits": limits_for(channel.kind),
                "reconnect_url": _setup_url(channel.kind, "reconnect", channel_id=channel.pk),
            }
        )
    kinds = [
        {"kind": kind, "label": label, "url": _setup_url(kind, "connect")}
        for kind, label in ChannelKind.choices
        if kind in setup_url_modules()
    ]
    return render(request, "publishing/channels.html", {"channels": channels, "kinds": kinds})


@login_required
@require_POST
def channel_disable(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = require_membership(request)
    channel = selectors.channel_for(membership=membership, channel_id=channel_id)
    try:
        channel_services.channel_disable(membership=membership, channel=channel)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{channel.name} is disabled. Nothing more will be sent to it.")
    return redirect("channels:list")
