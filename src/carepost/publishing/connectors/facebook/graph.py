"""A small Graph API client for the Facebook Page connector and its setup flow.

Every call goes through `Graph.call`, which turns transport failures and Graph error
objects into `ConnectorError`s with the right `ErrorKind`:

- code 190 or 102 (or an OAuthException with HTTP 401): AUTH, the Page must be reconnected;
- codes 4, 17, 32, 613, 80001 and HTTP 429: TRANSIENT (throttled), waiting as long as the
  usage headers' `estimated_time_to_regain_access` (minutes) says;
- codes 1, 2 and HTTP 5xx: TRANSIENT for reads and deletes; UNKNOWN for creates, because
  Facebook may have made the post before failing (HTTP 502/503 come from Facebook's
  gateways when the request did not get through, so they stay TRANSIENT);
- codes 368, 100, 10, 200-299 and anything else: PERMANENT, in plain English;
- a timeout or a dropped connection: UNKNOWN for creates, TRANSIENT otherwise.

Tokens travel in the `Authorization` header, never in a URL. The OAuth exchanges put the
app secret and codes in the query string as Meta documents, so a logging filter removes
them from httpx's request log line.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import ssl
import time
from collections.abc import Mapping
from typing import Any

import certifi
import httpx
from django.conf import settings

from carepost.publishing.connectors.base import ConnectorError, ErrorKind, retry_after_seconds

THROTTLE_CODES = frozenset({4, 17, 32, 341, 613, 80001})
AUTH_CODES = frozenset({102, 190})
SERVICE_CODES = frozenset({1, 2})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
DEFAULT_THROTTLE_WAIT = 300.0  # seconds, when Facebook gives no estimate
USAGE_HEADERS = ("x-business-use-case-usage", "x-page-usage", "x-app-usage")

_SECRET_PARAMS = re.compile(
    r"((?:access_token|client_secret|code|fb_exchange_token|input_token)=)[^&\s\"']*"
)


def redact(text: str) -> str:
    """The text with every token, code and secret query value replaced."""
    return _SECRET_PARAMS.sub(r"\1[redacted]", text)


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(str(a)) if isinstance(a, httpx.URL | str) else a for a in record.args
            )
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _RedactSecrets) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactSecrets())


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: building one per request costs ~50 ms."""
    return ssl.create_default_context(cafile=certifi.where())


def graph_version() -> str:
    return str(settings.CAREPOST_FACEBOOK_GRAPH_VERSION)


def usage_wait_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds until access returns, from Facebook's usage headers (given in minutes)."""
    lower = {k.lower(): v for k, v in headers.items()}
    longest: float | None = None
    for name in USAGE_HEADERS:
        raw = lower.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for minutes in _find_key(data, "estimated_time_to_regain_access"):
            if isinstance(minutes, int | float) and minutes > 0:
                longest = max(longest or 0.0, float(minutes) * 60)
    return longest


def _find_key(data: Any, key: str) -> list[Any]:
    found = []
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key:
                found.append(v)
            else:
                found.extend(_find_key(v, key))
    elif isinstance(data, list):
        for item in data:
            found.extend(_find_key(item, key))
    return found


def error_from_response(response: httpx.Response, *, creating: bool) -> ConnectorError:
    """Classify a failed Graph response (see the module docstring)."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode")
    detail = redact(str(error.get("message") or ""))[:300]
    ref = f" (Facebook error {code}{f'/{subcode}' if subcode else ''}: {detail})" if code else ""
    oauth = error.get("type") == "OAuthException"

    if code in AUTH_CODES or (status == 401 and (oauth or code is None)):
        return ConnectorError(
            ErrorKind.AUTH,
            "Facebook no longer accepts Carepost's access to this Page (the connection may "
            "have expired, or the person who connected it changed their password or lost "
            "their Page role). Reconnect the Page on the Channels page." + ref,
        )
    if code in THROTTLE_CODES or status == 429:
        wait = usage_wait_seconds(response.headers) or retry_after_seconds(
            response.headers, time.time()
        )
        return ConnectorError(
            ErrorKind.TRANSIENT,
            "Facebook is limiting how often Carepost can post to this Page. "
            "Carepost will try again automatically." + ref,
            retry_after=wait or DEFAULT_THROTTLE_WAIT,
        )
    if code in SERVICE_CODES or status >= 500:
        # No retry_after here: the outbox reads one as "rate limited, hold the channel";
        # an outage gets its own back-off instead.
        if creating and status not in (502, 503):
            return ConnectorError(
                ErrorKind.UNKNOWN,
                "Facebook had a problem while the post was being sent, so it may or may "
                "not be on the Page. Carepost is checking before trying again." + ref,
            )
        return ConnectorError(
            ErrorKind.TRANSIENT,
            "Facebook is having a temporary problem. Carepost will try again automatically." + ref,
        )
    if code == 368:
        message = (
            "Facebook has temporarily blocked this Page from posting because it believes "
            "something broke its rules. A Page administrator should check the Page's "
            "notifications on Facebook."
        )
    elif code in PERMISSION_CODES:
        message = (
            "Facebook says the person who connected this Page does not have permission to "
            "post on it. Someone with full control of the Page should reconnect it and allow "
            "Carepost to create content."
        )
    elif code == 100:
        message = (
            "Facebook did not accept what Carepost sent (for example a photo or link it "
            "could not use). Check the post, then send it again."
        )
    elif code == 506:
        message = (
            "Facebook refuses to post the same text twice in a row. If this post is "
            "already on the Page, nothing more is needed; otherwise change its wording."
        )
    else:
        message = f"Facebook refused the request (HTTP {status})."
    return ConnectorError(ErrorKind.PERMANENT, message + ref)


def is_not_found(response: httpx.Response) -> bool:
    """Graph's answer for an object that does not exist (any more): code 100, subcode 33."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return response.status_code == 404
    if not isinstance(error, dict):
        return False
    message = str(error.get("message") or "").lower()
    return (error.get("code") == 100 and error.get("error_subcode") == 33) or (
        error.get("code") == 100 and "does not exist" in message
    )


class Graph:
    """One connection to the Graph API, versioned, with one token (or none)."""

    def __init__(
        self,
        *,
        token: str = "",
        version: str | None = None,
        timeout: float | None = None,
        base_url: str | None = None,
    ) -> None:
        self.version = version or graph_version()
        self.base = f"{(base_url or settings.CAREPOST_FACEBOOK_GRAPH_URL).rstrip('/')}/"
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(
            timeout=float(timeout if timeout is not None else settings.CAREPOST_CONNECTOR_TIMEOUT),
            headers=headers,
            follow_redirects=False,
            verify=_tls(),
        )

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def url(self, path: str) -> str:
        return f"{self.base}{self.version}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        creating: bool = False,
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        absolute_url: str | None = None,
    ) -> httpx.Response:
        """Send one request; raise ConnectorError unless Facebook answered 2xx."""
        response = self.raw(
            method,
            path,
            creating=creating,
            params=params,
            data=data,
            files=files,
            absolute_url=absolute_url,
        )
        if response.is_success:
            return response
        raise error_from_response(response, creating=creating)

    def raw(
        self,
        method: str,
        path: str,
        *,
        creating: bool = False,
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        absolute_url: str | None = None,
    ) -> httpx.Response:
        """Send one request and return whatever Facebook answered; raise only on transport."""
        try:
            return self.client.request(
                method,
                absolute_url or self.url(path),
                params=params,
                data=data,
                files=files,
            )
        except httpx.ConnectError as exc:
            # Nothing reached Facebook: always safe to try again.
            raise ConnectorError(
                ErrorKind.TRANSIENT,
                "Carepost could not reach Facebook. It will try again automatically.",
            ) from exc
        except httpx.TimeoutException as exc:
            raise _lost(creating, "Facebook did not answer in time") from exc
        except httpx.TransportError as exc:
            raise _lost(creating, "The connection to Facebook broke before it answered") from exc

    def json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError as exc:
            raise ConnectorError(
                ErrorKind.UNKNOWN if response.request.method == "POST" else ErrorKind.TRANSIENT,
                "Facebook sent an answer Carepost could not read.",
            ) from exc
        if not isinstance(data, dict):
            raise ConnectorError(ErrorKind.TRANSIENT, "Facebook sent an unexpected answer.")
        return data


def _lost(creating: bool, what: str) -> ConnectorError:
    if creating:
        return ConnectorError(
            ErrorKind.UNKNOWN,
            f"{what}, so the post may or may not be on the Page. Carepost is checking "
            "before trying again.",
        )
    return ConnectorError(ErrorKind.TRANSIENT, f"{what}. Carepost will try again automatically.")


# -- Facebook Login (the connection flow) --------------------------------------------


def app_configured() -> bool:
    return bool(settings.CAREPOST_FACEBOOK_APP_ID and settings.CAREPOST_FACEBOOK_APP_SECRET)


def dialog_url(*, redirect_uri: str, state: str, scopes: tuple[str, ...]) -> str:
    from urllib.parse import urlencode

    query = urlencode(
        {
            "client_id": settings.CAREPOST_FACEBOOK_APP_ID,
            "redirect_uri": redirect_uri,
            "state": state,
            "response_type": "code",
            "scope": ",".join(scopes),
        }
    )
    return f"{settings.CAREPOST_FACEBOOK_DIALOG_URL}/{graph_version()}/dialog/oauth?{query}"


def exchange_code(*, code: str, redirect_uri: str) -> str:
    """The short-lived user token for a login dialog's code."""
    with Graph() as graph:
        response = graph.call(
            "GET",
            "oauth/access_token",
            params={
                "client_id": settings.CAREPOST_FACEBOOK_APP_ID,
                "client_secret": settings.CAREPOST_FACEBOOK_APP_SECRET,
                "redirect_uri": redirect_uri,
                "code": code,
            },
        )
        return _token_from(graph.json(response))


def exchange_long_lived(*, user_token: str) -> str:
    """A long-lived (about 60 days) user token; Page tokens made from it do not expire."""
    with Graph() as graph:
        response = graph.call(
            "GET",
            "oauth/access_token",
            params={
                "grant_type": "fb_exchange_token",
                "client_id": settings.CAREPOST_FACEBOOK_APP_ID,
                "client_secret": settings.CAREPOST_FACEBOOK_APP_SECRET,
                "fb_exchange_token": user_token,
            },
        )
        return _token_from(graph.json(response))


def list_pages(*, user_token: str) -> list[dict[str, Any]]:
    """The Pages the user can act for: id, name, access_token, tasks (all pages of results)."""
    pages: list[dict[str, Any]] = []
    with Graph(token=user_token) as graph:
        response = graph.call(
            "GET", "me/accounts", params={"fields": "id,name,access_token,tasks", "limit": 100}
        )
        for _ in range(20):
            body = graph.json(response)
            for item in body.get("data") or []:
                if isinstance(item, dict) and item.get("id") and item.get("access_token"):
                    pages.append(
                        {
                            "id": str(item["id"]),
                            "name": str(item.get("name") or item["id"]),
                            "access_token": str(item["access_token"]),
                            "tasks": [str(t) for t in item.get("tasks") or []],
                        }
                    )
            next_url = (body.get("paging") or {}).get("next")
            if not isinstance(next_url, str) or not next_url.startswith(graph.base):
                break
            response = graph.call("GET", "", absolute_url=str(next_url))
    return pages


def _token_from(body: dict[str, Any]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise ConnectorError(ErrorKind.PERMANENT, "Facebook did not return an access token.")
    return token
