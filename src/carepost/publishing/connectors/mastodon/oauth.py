"""The network side of connecting a Mastodon account: check the server, register an
app, build the authorisation address, and exchange the code for a token.

Everything here talks to the user's Mastodon server and nothing else, outside any
transaction. Failures become `SetupError` with a plain-English message; no message
ever contains a token, a client secret or an authorisation code.
"""

from __future__ import annotations

import ipaddress
import re
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
)

from carepost.publishing.connectors.mastodon.connector import USER_AGENT

SCOPES = ["read:accounts", "read:statuses", "write:statuses", "write:media"]
APP_NAME = "Carepost"
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class SetupError(Exception):
    """Connecting cannot go on; `message` says why and what to do, in plain English."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Registration:
    client_id: str
    client_secret: str
    domain: str  # the server's own name for itself, for "@user@domain"
    authorise_url: str


@dataclass(frozen=True)
class Grant:
    access_token: str
    account_id: str
    account: str  # "@user@domain"


def insecure_allowed() -> bool:
    return bool(settings.DEBUG or settings.CAREPOST_ALLOW_INSECURE_INSTANCES)


def _is_local(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or ip.is_multicast
    )


def normalise_instance_url(raw: str) -> str:
    """`https://host[:port]` from what the user typed, or SetupError saying what is wrong."""
    example = "for example https://mastodon.social"
    value = raw.strip()
    if not value:
        raise SetupError(f"Enter the address of your Mastodon server, {example}.")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    try:
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        host, port = "", None
    scheme = parts.scheme.lower()
    valid_host = bool(host) and (
        _is_ip(host) or all(_HOST_LABEL.match(label) for label in host.split("."))
    )
    if scheme not in ("http", "https") or not valid_host:
        raise SetupError(
            f"That does not look like a web address. Enter your Mastodon server's address, "
            f"{example}."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SetupError(f"Enter just the server's address, {example}.")
    if parts.path not in ("", "/"):
        raise SetupError(
            f"Enter just the server's address, without anything after its name, {example}."
        )
    if not insecure_allowed():
        if scheme != "https":
            raise SetupError("Use the server's secure address, starting with https://.")
        if _is_local(host):
            raise SetupError(
                "That address is on this computer or a private network. Enter the public "
                f"address of your Mastodon server, {example}."
            )
    shown_host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown_host}" + (f":{port}" if port else "")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_of(instance_url: str) -> str:
    return urlsplit(instance_url).netloc


def _session() -> requests.Session:
    return requests.Session()


def _api(instance_url: str, **kwargs: Any) -> Mastodon:
    return Mastodon(
        api_base_url=instance_url,
        ratelimit_method="throw",
        request_timeout=settings.CAREPOST_CONNECTOR_TIMEOUT,
        version_check_mode="none",
        session=_session(),
        user_agent=USER_AGENT,
        **kwargs,
    )


def _unreachable(instance_url: str) -> SetupError:
    return SetupError(
        f"Carepost could not reach {host_of(instance_url)}. Check the address, or try again "
        "later if the server is down."
    )


def register(*, instance_url: str, redirect_uri: str, state: str) -> Registration:
    """Check the server is a Mastodon server, register Carepost on it, and say where to go."""
    host = host_of(instance_url)
    api = _api(instance_url)
    try:
        try:
            info = api.instance_v2()
        except MastodonNotFoundError:  # servers older than Mastodon 4.0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                info = api.instance_v1()
        if not isinstance(info, dict) or not info.get("version"):
            raise MastodonAPIError("not an instance description")
    except MastodonNetworkError:
        raise _unreachable(instance_url) from None
    except (MastodonServerError, MastodonRatelimitError):
        raise SetupError(
            f"{host} is having problems at the moment. Please try again in a few minutes."
        ) from None
    except MastodonError:
        raise SetupError(
            f"{host} did not answer like a Mastodon server. Check the address: it is the "
            "web address you use to sign in to Mastodon."
        ) from None
    domain = str(info.get("domain") or info.get("uri") or host)
    try:
        client_id, client_secret = Mastodon.create_app(
            APP_NAME,
            scopes=SCOPES,
            redirect_uris=redirect_uri,
            website=settings.SITE_URL,
            api_base_url=instance_url,
            request_timeout=settings.CAREPOST_CONNECTOR_TIMEOUT,
            session=_session(),
            user_agent=USER_AGENT,
        )
    except MastodonNetworkError:
        # Mastodon.py reports a refusal (an answer without a client id) the same way.
        raise SetupError(
            f"{host} would not register Carepost as an app. Try again later; if it keeps "
            "happening, the server may not allow new apps."
        ) from None
    except (KeyError, TypeError, ValueError):
        raise SetupError(
            f"{host} would not register Carepost as an app. Try again later; if it keeps "
            "happening, the server may not allow new apps."
        ) from None
    try:
        url = api.auth_request_url(
            client_id=client_id,
            redirect_uris=redirect_uri,
            scopes=SCOPES,
            state=state,
            allow_http=insecure_allowed(),
        )
    except MastodonNetworkError:
        raise _unreachable(instance_url) from None
    except MastodonError:
        raise SetupError(
            f"{host} gave a sign-in address Carepost cannot use safely (it must start with "
            "https://)."
        ) from None
    return Registration(
        client_id=client_id, client_secret=client_secret, domain=domain, authorise_url=url
    )


def exchange(
    *,
    instance_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    domain: str,
) -> Grant:
    """Trade the authorisation code for a token, and find out which account it is for."""
    host = host_of(instance_url)
    api = _api(instance_url, client_id=client_id, client_secret=client_secret)
    try:
        access_token = api.log_in(
            code=code,
            redirect_uri=redirect_uri,
            scopes=SCOPES,
            allow_http=insecure_allowed(),
        )
    except MastodonNetworkError:
        raise _unreachable(instance_url) from None
    except MastodonIllegalArgumentError as exc:
        if isinstance(exc.__context__, MastodonNetworkError):
            raise _unreachable(instance_url) from None
        raise SetupError(
            f"{host} did not accept the sign-in: the link may have expired or been used "
            "already. Please start again."
        ) from None
    except MastodonError:
        raise SetupError(
            f"{host} did not give Carepost all the permissions it needs (to see the "
            "account, read and publish posts, and upload photos). Please start again and "
            "allow them."
        ) from None
    try:
        account = api.account_verify_credentials()
        account_id = str(account["id"])
        acct = str(account["acct"])
    except MastodonNetworkError:
        raise _unreachable(instance_url) from None
    except (MastodonError, KeyError, TypeError):
        raise SetupError(
            f"{host} did not say which account signed in. Please start again."
        ) from None
    if "@" not in acct:
        acct = f"{acct}@{domain}"
    return Grant(access_token=access_token, account_id=account_id, account="@" + acct)
