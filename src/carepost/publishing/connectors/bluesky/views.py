"""Connecting a Bluesky account, and replacing its app password.

The login is checked with Bluesky before anything is saved (no transaction is open
during the network call); only then does channel_services store the channel, with the
app password and tokens encrypted.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from carepost.common.errors import ValidationFailed
from carepost.publishing import channel_services, selectors
from carepost.publishing.channel_services import channel_manager
from carepost.publishing.connectors.base import ConnectorError
from carepost.publishing.connectors.bluesky.connector import (
    DEFAULT_SERVICE_URL,
    LoginRefused,
    Session,
    session_create,
    session_delete,
    session_scope_problem,
)
from carepost.publishing.connectors.bluesky.forms import (
    BlueskyConnectForm,
    BlueskyReconnectForm,
    clean_service_url,
)
from carepost.publishing.models import ChannelKind

REFUSED_MAIN_PW = (
    "That is the account's main password. Carepost only accepts an app password, which "
    "you can cancel at any time without changing the main password. Create one as "
    "described on this page and paste it here."
)
UNVERIFIED = (
    "That does not look like a Bluesky app password (they look like abcd-efgh-ijkl-mnop), "
    "and this server does not say which kind of password it is, so Carepost cannot "
    "accept it. Create an app password as described on this page and paste it here."
)


def _login(service_url: str, identifier: str, password: str) -> Session:
    """A session made with an app password, or ValidationFailed in plain English."""
    try:
        session = session_create(service_url, identifier, password)
    except LoginRefused as exc:
        if exc.error == "AuthFactorTokenRequired":
            raise ValidationFailed(
                "Bluesky asked for a sign-in code, which means this is the account's main "
                "password. " + REFUSED_MAIN_PW.split(". ", 1)[1]
            ) from exc
        raise ValidationFailed(
            "Bluesky did not accept that handle and app password. Check the handle, or "
            "create a new app password and paste it exactly as Bluesky shows it."
        ) from exc
    except ConnectorError as exc:
        raise ValidationFailed(
            f"Carepost could not get an answer from the Bluesky server at {service_url}. "
            "Check the server's address, or try again in a few minutes."
        ) from exc
    problem = session_scope_problem(session, password)
    if problem:
        session_delete(service_url, session)
        raise ValidationFailed(REFUSED_MAIN_PW if problem == "main" else UNVERIFIED)
    return session


def _pds_url(session: Session) -> str:
    """The account's own PDS from its DID document, if it is an address we may use."""
    if not session.pds_url:
        return ""
    try:
        return clean_service_url(session.pds_url)
    except forms.ValidationError:
        return ""


def _credentials(password: str, session: Session) -> dict[str, str]:
    return {
        "app_password": password,
        "access_jwt": session.access_jwt,
        "refresh_jwt": session.refresh_jwt,
    }


@login_required
def connect(request: HttpRequest) -> HttpResponse:
    membership = channel_manager(request)
    form = BlueskyConnectForm(request.POST or None, initial={"service_url": DEFAULT_SERVICE_URL})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = _login(d["service_url"], d["handle"], d["app_password"])
            channel = channel_services.channel_connect(
                membership=membership,
                kind=ChannelKind.BLUESKY,
                name=d["name"],
                config={
                    "service_url": d["service_url"],
                    "pds_url": _pds_url(session),
                    "handle": session.handle,
                    "did": session.did,
                    "account": f"@{session.handle}",
                },
                credentials=_credentials(d["app_password"], session),
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{channel.name} is connected to Bluesky as @{session.handle}. "
                "Approved posts for it will now go out.",
            )
            return redirect("channels:list")
    return render(
        request,
        "connectors/bluesky/connect.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def reconnect(request: HttpRequest, channel_id: int) -> HttpResponse:
    membership = channel_manager(request)
    channel = selectors.channel_for(
        membership=membership, channel_id=channel_id, kind=ChannelKind.BLUESKY
    )
    form = BlueskyReconnectForm(request.POST or None)
    config = channel.config or {}
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["app_password"]
        service_url = str(config.get("service_url") or DEFAULT_SERVICE_URL)
        try:
            session = _login(service_url, str(config.get("handle") or config.get("did")), password)
            if config.get("did") and session.did != config["did"]:
                session_delete(service_url, session)
                raise ValidationFailed(
                    f"That app password belongs to a different Bluesky account "
                    f"(@{session.handle}). Sign in to Bluesky as {config.get('account')} "
                    "and create the app password there."
                )
            channel_services.channel_reconnect(
                membership=membership,
                channel=channel,
                credentials=_credentials(password, session),
                config={
                    "handle": session.handle,
                    "account": f"@{session.handle}",
                    "pds_url": _pds_url(session),
                },
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{channel.name} is reconnected. Posts that were waiting for it go out now.",
            )
            return redirect("channels:list")
    return render(
        request,
        "connectors/bluesky/reconnect.html",
        {"form": form, "channel": channel},
        status=400 if form.errors else 200,
    )
