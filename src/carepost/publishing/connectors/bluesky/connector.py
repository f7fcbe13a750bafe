"""Bluesky: publish to, delete from and check an account through its own PDS.

The connector talks to the account's Personal Data Server directly with the official
SDK's XRPC methods (com.atproto.server.createSession/refreshSession,
com.atproto.repo.uploadBlob/createRecord/getRecord/deleteRecord,
com.atproto.identity.resolveHandle). It never uses `Client.login()` or `send_post`:
those also call the AppView, which a self-hosted PDS (and our test network) may not
have.

Sending is idempotent by construction: every publication has its own record key (a
TID derived from the publication, `text.tid_for`), passed as `rkey` to createRecord.
Sending the same publication again can only ever hit the same key, so it can never
make a second post; `find_published` is a getRecord on that key.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import httpx
from atproto_client import models
from atproto_client.client.raw import ClientRaw
from atproto_client.client.session import get_session_pds_endpoint
from atproto_client.exceptions import InvokeTimeoutError, ModelError, RequestErrorBase
from atproto_client.models.common import XrpcError
from atproto_client.request import Request
from atproto_client.utils import facet_detection
from atproto_core.exceptions import AtProtocolError
from django.conf import settings

from carepost.publishing.connectors.base import (
    ConnectorError,
    DeleteResult,
    ErrorKind,
    Limits,
    PublishResult,
    RemoteState,
    retry_after_seconds,
)
from carepost.publishing.connectors.bluesky.images import ImageTooLarge, fit_image
from carepost.publishing.connectors.bluesky.text import grapheme_count, tid_for

if TYPE_CHECKING:
    from carepost.publishing.models import Channel, Publication

logger = logging.getLogger(__name__)

DEFAULT_SERVICE_URL = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
TEXT_MAX_GRAPHEMES = 300
TEXT_MAX_BYTES = 3000  # app.bsky.feed.post#text maxLength, in UTF-8 bytes
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 1_000_000
# Access token scopes the PDS puts in the JWT (com.atproto.server.createSession).
SCOPE_APP_PASSWORD = ("com.atproto.appPass", "com.atproto.appPassPrivileged")
SCOPE_FULL_ACCESS = "com.atproto.access"
# Errors on a call that mean "this token is no longer good": refresh and try again.
TOKEN_ERRORS = ("ExpiredToken", "InvalidToken")
APP_PASSWORD_RE = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")

T = TypeVar("T")


@dataclass(frozen=True)
class Session:
    did: str
    handle: str
    access_jwt: str
    refresh_jwt: str
    # The account's own PDS, from the DID document in the session (bsky.social is an
    # "entryway": the account's repository lives on another server). "" if not given.
    pds_url: str = ""

    @property
    def scope(self) -> str | None:
        """The access token's scope claim, if it can be read (tells an app password apart)."""
        try:
            payload = self.access_jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return None
        scope = claims.get("scope") if isinstance(claims, dict) else None
        return scope if isinstance(scope, str) else None

    def __repr__(self) -> str:  # tokens never reach a log line
        return f"<Session {self.did} @{self.handle}>"


# -- HTTP clients -----------------------------------------------------------------------
_CLIENTS: dict[tuple[str, float], ClientRaw] = {}
_CLIENTS_LOCK = threading.Lock()


def xrpc_client(service_url: str) -> ClientRaw:
    """One SDK client per PDS and timeout, shared by threads (httpx.Client is thread-safe).

    The SDK builds its httpx.Client from the keyword arguments of `Request`, so the
    timeout from settings goes there. Authorisation is passed per call, never stored on
    the shared client.
    """
    timeout = float(settings.CAREPOST_CONNECTOR_TIMEOUT)
    key = (service_url.rstrip("/"), timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            # Idle connections are dropped after 2 s, well before servers close them
            # (Node's default is 5 s): reusing one the server has just closed would make
            # a createRecord fail with an outcome we could not know.
            request = Request(
                timeout=httpx.Timeout(timeout), limits=httpx.Limits(keepalive_expiry=2.0)
            )
            client = ClientRaw(base_url=key[0], request=request)
            _CLIENTS[key] = client
        return client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- classifying failures ------------------------------------------------------------------
def _xrpc_error(exc: BaseException) -> tuple[int | None, str, str]:
    """(HTTP status, XRPC error name, server message) of an SDK error."""
    if not isinstance(exc, RequestErrorBase) or exc.response is None:
        return None, "", ""
    content = exc.response.content
    if isinstance(content, XrpcError):
        return exc.response.status_code, content.error or "", content.message or ""
    return exc.response.status_code, "", ""


def _is_token_error(exc: BaseException) -> bool:
    status, error, _ = _xrpc_error(exc)
    return status == 401 or error in TOKEN_ERRORS


def _is_transport_error(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, RequestErrorBase) and exc.response is None


def _nothing_sent(exc: BaseException) -> bool:
    """The request never reached the server: the connection was not even made."""
    cause = exc if isinstance(exc, httpx.HTTPError) else exc.__cause__
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def classify(exc: BaseException, *, creating: bool) -> ConnectorError:
    """The outbox's reading of an SDK or transport failure.

    `creating` is True only for createRecord, the one call that makes a post: there a
    failure whose outcome we cannot know is UNKNOWN. Even though the record key makes a
    resend harmless, UNKNOWN is still the honest answer: the outbox then reconciles
    with `find_published` (one getRecord) before anything is sent again, so a post that
    did go out is recorded as published with its link instead of being re-sent and
    reported as a failure by the conflict.
    """
    if isinstance(exc, (InvokeTimeoutError, httpx.TimeoutException)) and not _nothing_sent(exc):
        if creating:
            return ConnectorError(
                ErrorKind.UNKNOWN,
                "Bluesky did not answer in time, so the post may or may not have gone out. "
                "Carepost checks Bluesky before sending it again.",
            )
        return ConnectorError(
            ErrorKind.TRANSIENT, "Bluesky did not answer in time. Carepost will try again."
        )
    if _is_transport_error(exc):
        if creating and not _nothing_sent(exc):
            return ConnectorError(
                ErrorKind.UNKNOWN,
                "The connection to Bluesky broke before it answered, so the post may or may "
                "not have gone out. Carepost checks Bluesky before sending it again.",
            )
        return ConnectorError(
            ErrorKind.TRANSIENT, "Carepost could not reach Bluesky. It will try again."
        )
    status, error, message = _xrpc_error(exc)
    detail = f" (Bluesky said: {message or error})" if (message or error) else ""
    if status == 429:
        headers = exc.response.headers if isinstance(exc, RequestErrorBase) and exc.response else {}
        return ConnectorError(
            ErrorKind.TRANSIENT,
            "Bluesky asked Carepost to slow down. It will try again when Bluesky allows.",
            retry_after=retry_after_seconds(headers, time.time()),
        )
    if status in (401, 403) or error in TOKEN_ERRORS:
        return ConnectorError(
            ErrorKind.AUTH,
            "Bluesky no longer accepts this channel's app password. "
            "Reconnect the channel with a new app password.",
        )
    if error == "BlobTooLarge" or status == 413:
        return ConnectorError(
            ErrorKind.PERMANENT,
            f"A photo is too large for Bluesky, even after making it smaller{detail}.",
        )
    if status is not None and 400 <= status < 500:
        return ConnectorError(ErrorKind.PERMANENT, f"Bluesky refused the post{detail}.")
    if status in (502, 503):
        return ConnectorError(
            ErrorKind.TRANSIENT, "Bluesky is busy or down for a moment. Carepost will try again."
        )
    if creating:
        return ConnectorError(
            ErrorKind.UNKNOWN,
            f"Bluesky had an error while taking the post, so it may or may not have gone "
            f"out{detail}. Carepost checks Bluesky before sending it again.",
        )
    if isinstance(exc, ModelError):
        return ConnectorError(
            ErrorKind.TRANSIENT, "Bluesky gave an answer Carepost did not expect."
        )
    return ConnectorError(
        ErrorKind.TRANSIENT, f"Bluesky had an error{detail}. Carepost will try again."
    )


class LoginRefused(ConnectorError):
    """createSession said no; `error` is the XRPC error name (AuthenticationRequired,
    AuthFactorTokenRequired for a main password with sign-in codes, AccountTakedown...)."""

    def __init__(self, error: str) -> None:
        super().__init__(ErrorKind.AUTH, "Bluesky did not accept that handle and app password.")
        self.error = error


def session_create(service_url: str, identifier: str, password: str) -> Session:
    """Log in with a handle (or DID) and an app password. Raises ConnectorError."""
    client = xrpc_client(service_url)
    try:
        response = client.com.atproto.server.create_session(
            models.ComAtprotoServerCreateSession.Data(identifier=identifier, password=password)
        )
    except (AtProtocolError, httpx.HTTPError) as exc:
        status, error, _ = _xrpc_error(exc)
        if status in (400, 401, 403):
            raise LoginRefused(error) from exc
        raise classify(exc, creating=False) from exc
    return Session(
        did=response.did,
        handle=response.handle,
        access_jwt=response.access_jwt,
        refresh_jwt=response.refresh_jwt,
        pds_url=(get_session_pds_endpoint(response) or "").rstrip("/"),
    )


def session_delete(service_url: str, session: Session) -> None:
    """Log a session out (best effort): used when we refuse a main password."""
    try:
        xrpc_client(service_url).com.atproto.server.delete_session(
            headers=_bearer(session.refresh_jwt)
        )
    except (AtProtocolError, httpx.HTTPError):
        logger.info("Could not end a refused Bluesky session for %s", session.did)


# -- sessions kept in memory -------------------------------------------------------------
# Connectors must not touch the database (the outbox calls them outside transactions
# and records only the outcome), so tokens refreshed here are not saved on the channel.
# They are kept for the life of the process, keyed by channel id and tied to the stored
# access token they replaced (a reconnection, which stores new tokens, invalidates
# them). A new process starts from the stored tokens; once those have expired it logs
# in again with the stored app password, which Bluesky allows often enough (about one
# login per process every couple of hours against a limit of 30 per 5 minutes).
@dataclass
class _Cached:
    stored_access: str
    access: str
    refresh: str


_SESSIONS: dict[int, _Cached] = {}
_SESSIONS_LOCK = threading.Lock()
_RENEW_LOCKS: dict[int, threading.Lock] = {}


def forget_sessions() -> None:
    """Drop every session kept in memory (tests)."""
    with _SESSIONS_LOCK:
        _SESSIONS.clear()


class BlueskyConnector:
    limits = Limits(
        text_max=TEXT_MAX_GRAPHEMES,
        text_unit="graphemes",
        max_images=MAX_IMAGES,
        image_max_bytes=IMAGE_MAX_BYTES,
        deletion_note=(
            "Bluesky removes the post and tells the network it was deleted. "
            "Services that copied it before deletion may keep a copy."
        ),
    )

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        config = channel.config or {}
        # Log in at the service the organisation gave (https://bsky.social by default);
        # read and write at the account's own PDS, as Bluesky's own clients do.
        self.service_url: str = str(config.get("service_url") or DEFAULT_SERVICE_URL)
        self.pds_url: str = str(config.get("pds_url") or self.service_url)
        self.did: str = str(config.get("did", ""))
        self.handle: str = str(config.get("handle", ""))
        self.client = xrpc_client(self.pds_url)

    # -- sessions ---------------------------------------------------------------------
    def _credentials(self) -> dict[str, str]:
        return self.channel.credentials

    def _current(self) -> _Cached:
        stored = self._credentials()
        stored_access = stored.get("access_jwt", "")
        with _SESSIONS_LOCK:
            cached = _SESSIONS.get(self.channel.pk)
            if cached is None or cached.stored_access != stored_access:
                cached = _Cached(stored_access, stored_access, stored.get("refresh_jwt", ""))
                _SESSIONS[self.channel.pk] = cached
            return cached

    def _renew(self, failed_access: str) -> str:
        """A new access token: refresh, else log in with the app password, else AUTH."""
        with _SESSIONS_LOCK:
            lock = _RENEW_LOCKS.setdefault(self.channel.pk, threading.Lock())
        with lock:
            cached = self._current()
            if cached.access != failed_access:
                return cached.access  # another thread renewed it meanwhile
            session: Session | None = None
            if cached.refresh:
                try:
                    response = self.client.com.atproto.server.refresh_session(
                        headers=_bearer(cached.refresh)
                    )
                    session = Session(
                        response.did, response.handle, response.access_jwt, response.refresh_jwt
                    )
                except (AtProtocolError, httpx.HTTPError) as exc:
                    status, _, _ = _xrpc_error(exc)
                    if status == 429 or _is_transport_error(exc) or (status or 0) >= 500:
                        raise classify(exc, creating=False) from exc
                    # Expired or revoked refresh token: fall back to the app password.
            if session is None:
                app_password = self._credentials().get("app_password", "")
                try:
                    session = session_create(
                        self.service_url, self.did or self.handle, app_password
                    )
                except LoginRefused as exc:
                    raise ConnectorError(
                        ErrorKind.AUTH,
                        "Bluesky no longer accepts this channel's app password. "
                        "Reconnect the channel with a new app password.",
                    ) from exc
            with _SESSIONS_LOCK:
                cached.access, cached.refresh = session.access_jwt, session.refresh_jwt
            return session.access_jwt

    def _authed(self, call: Callable[[dict[str, str]], T]) -> T:
        """Run an authenticated call; on a token error renew the session and run it once more.

        Only errors that prove the request was refused before anything happened (401,
        ExpiredToken, InvalidToken) lead to the second attempt, so it is safe for
        createRecord too. A refusal after renewal means the credentials are gone: AUTH.
        """
        access = self._current().access
        try:
            return call(_bearer(access))
        except (AtProtocolError, httpx.HTTPError) as exc:
            if not _is_token_error(exc):
                raise
        access = self._renew(access)
        try:
            return call(_bearer(access))
        except (AtProtocolError, httpx.HTTPError) as exc:
            if _is_token_error(exc):
                raise classify(exc, creating=False) from exc
            raise

    # -- reading ----------------------------------------------------------------------
    def _get_record(self, repo: str, rkey: str) -> models.ComAtprotoRepoGetRecord.Response | None:
        """The record, or None if the PDS says it does not exist. Raises ConnectorError."""
        try:
            return self.client.com.atproto.repo.get_record(
                models.ComAtprotoRepoGetRecord.Params(
                    repo=repo, collection=POST_COLLECTION, rkey=rkey
                )
            )
        except (AtProtocolError, httpx.HTTPError) as exc:
            status, error, message = _xrpc_error(exc)
            # RecordNotFound; a PDS without an AppView says only "Could not locate
            # record"; a repository that was deleted or taken down has no posts either.
            if error in ("RecordNotFound", "RepoNotFound", "RepoDeactivated", "RepoTakendown"):
                return None
            if status == 400 and "could not locate record" in message.lower():
                return None
            raise classify(exc, creating=False) from exc

    def _url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{self.handle or self.did}/post/{rkey}"

    def _result_if_ours(
        self, record: models.ComAtprotoRepoGetRecord.Response, publication: Publication
    ) -> PublishResult | None:
        value = record.value
        text = getattr(value, "text", None)
        if text is None and isinstance(value, dict):
            text = value.get("text")
        if text != publication.revision.text:
            return None
        rkey = record.uri.rsplit("/", 1)[-1]
        return PublishResult(external_id=record.uri, url=self._url(rkey))

    def find_published(self, publication: Publication) -> PublishResult | None:
        """getRecord on the publication's own record key: there means it went out."""
        record = self._get_record(self.did, self.rkey_for(publication))
        if record is None:
            return None
        return self._result_if_ours(record, publication)

    @staticmethod
    def rkey_for(publication: Publication) -> str:
        return tid_for(publication.created_at, publication.pk)

    def status(self, external_id: str) -> RemoteState:
        repo, rkey = _parse_uri(external_id)
        return RemoteState.LIVE if self._get_record(repo, rkey) else RemoteState.GONE

    # -- writing ----------------------------------------------------------------------
    def publish(self, publication: Publication) -> PublishResult:
        text = publication.revision.text
        count = grapheme_count(text)
        if count > TEXT_MAX_GRAPHEMES:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"The post is {count} characters long and Bluesky allows "
                f"{TEXT_MAX_GRAPHEMES}. Shorten it and send it for review again.",
            )
        if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                "The post has so many emoji or special characters that Bluesky refuses it "
                "(they take more room than ordinary letters). Shorten it and send it for "
                "review again.",
            )
        photos = list(publication.revision.photos.all())
        if len(photos) > MAX_IMAGES:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"The post has {len(photos)} photos and Bluesky allows {MAX_IMAGES}.",
            )
        prepared = []
        for photo in photos:
            data, content_type = photo.published_image()
            try:
                prepared.append((photo.alt_text, fit_image(data, content_type, IMAGE_MAX_BYTES)))
            except (ImageTooLarge, OSError, ValueError) as exc:
                raise ConnectorError(
                    ErrorKind.PERMANENT,
                    f"Photo {photo.position + 1} could not be prepared for Bluesky: {exc}",
                ) from exc
        rkey = self.rkey_for(publication)
        facets = self.facets(text)

        images = []
        for alt, image in prepared:
            blob = self._upload(image.data, image.mime_type)
            images.append(
                models.AppBskyEmbedImages.Image(
                    alt=alt,
                    image=blob,
                    aspect_ratio=models.AppBskyEmbedDefs.AspectRatio(
                        width=image.width, height=image.height
                    ),
                )
            )
        record = models.AppBskyFeedPost.Record(
            text=text,
            created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            facets=facets or None,
            embed=models.AppBskyEmbedImages.Main(images=images) if images else None,
        )
        data = models.ComAtprotoRepoCreateRecord.Data(
            repo=self.did, collection=POST_COLLECTION, rkey=rkey, record=record
        )
        try:
            created = self._authed(
                lambda headers: self.client.com.atproto.repo.create_record(data, headers=headers)
            )
        except ConnectorError:
            raise
        except (AtProtocolError, httpx.HTTPError) as exc:
            status, _, _ = _xrpc_error(exc)
            if _already_exists(exc) or status in (409, 500):
                # Is the record there? A taken key means this publication went out
                # before (an answer that was lost). The reference PDS answers a taken key
                # with a bare 500, so a 500 is checked the same way before calling it
                # unknown.
                try:
                    existing = self._get_record(self.did, rkey)
                except ConnectorError:
                    existing = None
                if existing is not None:
                    found = self._result_if_ours(existing, publication)
                    if found:
                        return found
                    raise ConnectorError(
                        ErrorKind.PERMANENT,
                        "Bluesky already has a different post under this post's record key.",
                    ) from exc
            raise classify(exc, creating=True) from exc
        return PublishResult(external_id=created.uri, url=self._url(rkey))

    def _upload(self, data: bytes, mime_type: str) -> models.blob_ref.BlobRef:
        """uploadBlob. A failure here made no post (an unused blob is discarded by the PDS)."""

        def call(headers: dict[str, str]) -> models.blob_ref.BlobRef:
            response = self.client.invoke_procedure(
                "com.atproto.repo.uploadBlob",
                content=data,
                headers={**headers, "Content-Type": mime_type},
                output_encoding="application/json",
            )
            return models.ComAtprotoRepoUploadBlob.Response.model_validate(response.content).blob

        try:
            return self._authed(call)
        except ConnectorError:
            raise
        except (AtProtocolError, httpx.HTTPError, ValueError) as exc:
            raise classify(exc, creating=False) from exc

    def facets(self, text: str) -> list[models.AppBskyRichtextFacet.Main]:
        """Links, #hashtags and @mentions with UTF-8 byte offsets.

        Detection is Bluesky's own (the SDK's port of @atproto/api's detectFacets), so
        what is linked matches what the Bluesky app would link. Mentions are resolved to
        DIDs with resolveHandle; a handle that does not resolve stays plain text.
        Cashtags ($ABC) are left out: they are not for care organisations' posts.
        """
        facets = [
            facet
            for facet in facet_detection.detect_facets(text)
            if not any(
                isinstance(f, models.AppBskyRichtextFacet.Tag) and f.tag.startswith("$")
                for f in facet.features
            )
        ]
        resolved: dict[str, str | None] = {}
        for mention in facet_detection.detect_mentions(text):
            handle = mention.handle.lower().rstrip(".")
            if handle not in resolved:
                resolved[handle] = self._resolve(handle)
            did = resolved[handle]
            if did is None:
                continue
            facets.append(
                models.AppBskyRichtextFacet.Main(
                    features=[models.AppBskyRichtextFacet.Mention(did=did)],
                    index=models.AppBskyRichtextFacet.ByteSlice(
                        byte_start=mention.byte_start, byte_end=mention.byte_end
                    ),
                )
            )
        return sorted(facets, key=lambda facet: facet.index.byte_start)

    def _resolve(self, handle: str) -> str | None:
        try:
            response = self.client.com.atproto.identity.resolve_handle(
                models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
            )
        except (AtProtocolError, httpx.HTTPError) as exc:
            status, _, _ = _xrpc_error(exc)
            if status == 400:
                return None  # no such handle: leave it as plain text
            raise classify(exc, creating=False) from exc
        return str(response.did)

    def delete(self, external_id: str) -> DeleteResult:
        repo, rkey = _parse_uri(external_id)
        if self._get_record(repo, rkey) is None:
            return DeleteResult("already_gone", "The post was no longer on Bluesky.")
        data = models.ComAtprotoRepoDeleteRecord.Data(
            repo=repo, collection=POST_COLLECTION, rkey=rkey
        )
        try:
            # deleteRecord means "make sure it is not there": repeating it is harmless,
            # so every failure here is safe to retry.
            self._authed(
                lambda headers: self.client.com.atproto.repo.delete_record(data, headers=headers)
            )
        except ConnectorError:
            raise
        except (AtProtocolError, httpx.HTTPError) as exc:
            raise classify(exc, creating=False) from exc
        return DeleteResult("deleted", "Deleted from Bluesky.")


def _already_exists(exc: BaseException) -> bool:
    status, _, message = _xrpc_error(exc)
    text = message.lower()
    return status in (400, 409, 500) and ("already exists" in text or "record exists" in text)


def _parse_uri(external_id: str) -> tuple[str, str]:
    """at://<did>/app.bsky.feed.post/<rkey> -> (did, rkey)."""
    parts = external_id.removeprefix("at://").split("/")
    if not external_id.startswith("at://") or len(parts) != 3 or parts[1] != POST_COLLECTION:
        raise ConnectorError(ErrorKind.PERMANENT, f"Not a Bluesky post address: {external_id}")
    return parts[0], parts[2]


def looks_like_app_password(password: str) -> bool:
    return APP_PASSWORD_RE.fullmatch(password.strip().lower()) is not None


def session_scope_problem(session: Session, password: str) -> str:
    """Why a new session must not be kept: "main", "unverified", or "" if it is fine.

    The PDS tells us which kind of password made the session: the access token's scope
    is com.atproto.appPass for an app password and com.atproto.access for the main
    password. That is the real test, so the connect form does not refuse a password
    only for its shape. Only when the token cannot be read (a PDS with opaque tokens)
    do we fall back on the shape Bluesky gives app passwords (xxxx-xxxx-xxxx-xxxx).
    """
    scope = session.scope
    if scope == SCOPE_FULL_ACCESS:
        return "main"
    if scope in SCOPE_APP_PASSWORD:
        return ""
    return "" if looks_like_app_password(password) else "unverified"
