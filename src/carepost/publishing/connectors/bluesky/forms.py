"""The Bluesky setup forms: connect a new account, or replace its app password."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings

from carepost.publishing.connectors.bluesky.connector import DEFAULT_SERVICE_URL

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def insecure_allowed() -> bool:
    return bool(settings.DEBUG or settings.CAREPOST_ALLOW_INSECURE_INSTANCES)


def clean_service_url(value: str) -> str:
    """https:// to a public host; http:// and local addresses only in development."""
    url = value.strip().rstrip("/")
    if not url:
        return DEFAULT_SERVICE_URL
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise forms.ValidationError(
            "Enter the address of the Bluesky server, like https://bsky.social."
        )
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise forms.ValidationError(
            "Enter only the server's address, like https://bsky.social, without a path."
        )
    host = parts.hostname.lower()
    local = host in LOOPBACK_NAMES or host.endswith(".localhost")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        local = local or not address.is_global
    if not insecure_allowed():
        if parts.scheme != "https":
            raise forms.ValidationError("The server's address must start with https://.")
        if local:
            raise forms.ValidationError(
                "That address is on this computer or a private network. "
                "Enter the Bluesky server's public address, like https://bsky.social."
            )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def clean_handle(value: str) -> str:
    handle = value.strip().lstrip("@").lower()
    if handle.startswith("https://bsky.app/profile/"):
        handle = handle.removeprefix("https://bsky.app/profile/").strip("/")
    labels = handle.split(".")
    if (
        len(labels) < 2
        or len(handle) > 253
        or not all(
            label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
            for label in labels
        )
    ):
        raise forms.ValidationError(
            "Enter the account's handle as it appears on its profile, like braeview.bsky.social."
        )
    return handle


def password_widget() -> forms.PasswordInput:
    # render_value=False: the password never comes back in the page, even after an error.
    return forms.PasswordInput(
        render_value=False,
        attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


APP_PW_HINT = (
    "Paste the app password you created for Carepost. It looks like "
    "abcd-efgh-ijkl-mnop. Never use the account's main password."
)


class BlueskyConnectForm(forms.Form):
    name = forms.CharField(
        label="Channel name",
        max_length=100,
        help_text="What staff will see, for example “Bluesky - Braeview House”.",
    )
    handle = forms.CharField(
        label="Bluesky handle",
        max_length=253,
        help_text="The organisation's account, for example braeview.bsky.social.",
    )
    app_password = forms.CharField(
        label="App password",
        max_length=200,
        strip=True,
        help_text=APP_PW_HINT,
        widget=password_widget(),
    )
    service_url = forms.CharField(
        label="Bluesky server",
        max_length=200,
        required=False,
        initial=DEFAULT_SERVICE_URL,
        help_text="Leave this as https://bsky.social unless the account lives on its own server.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("name", "handle", "service_url"):
            self.fields[name].widget.attrs.setdefault("autocomplete", "off")
        self.fields["handle"].widget.attrs["spellcheck"] = "false"

    def clean_service_url(self) -> str:
        return clean_service_url(self.cleaned_data.get("service_url") or "")

    def clean_handle(self) -> str:
        return clean_handle(self.cleaned_data["handle"])


class BlueskyReconnectForm(forms.Form):
    app_password = forms.CharField(
        label="New app password",
        max_length=200,
        strip=True,
        help_text=APP_PW_HINT,
        widget=password_widget(),
    )
