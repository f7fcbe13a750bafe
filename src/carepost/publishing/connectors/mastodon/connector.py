"""Publishing to any Mastodon server, through the official Mastodon.py client.

The channel's config holds `instance_url`, `account` ("@user@host"), `account_id` and
`visibility`; its encrypted credentials hold `access_token`, `client_id` and
`client_secret` (see `oauth.py` and `views.py` for how they are obtained).

Creating a status sends an `Idempotency-Key` that is stable for the publication and its
revision: Mastodon remembers the key for an hour and answers a repeat with the first
status, so a resend after a lost response never makes a duplicate. After an unknown
outcome `find_published` looks for the post among the account's statuses created since
shortly before the send, comparing the plain text (Mastodon returns HTML).
"""

from __future__ import annotations

import html
import re
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings
from django.utils import timezone
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from carepost.publishing.connectors.base import (
    ConnectorError,
    DeleteResult,
    ErrorKind,
    Limits,
    PublishResult,
    RemoteState,
    classify_status,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from carepost.posts.models import RevisionPhoto
    from carepost.publishing.models import Channel, Publication

USER_AGENT = "Carepost (+https://github.com/carepost)"
VISIBILITIES = ("public", "unlisted")
# How long Mastodon remembers an Idempotency-Key is one hour; stay clear of the edge.
RESEND_WINDOW = timedelta(minutes=55)
# Look for a lost post among statuses created from this long before the send began: a
# margin for the two clocks disagreeing. Kept short, because a busy account is read
# page by page from here; if the clocks differ by more, the post is not found and is
# sent again with the same Idempotency-Key, which the server answers with the original.
FIND_MARGIN = timedelta(minutes=1)
# ...and up to this long after it (a server answers a request well within this).
FIND_WINDOW = timedelta(minutes=15)
FIND_PAGE_SIZE = 40
FIND_MAX_PAGES = 100
# Photos the server processes in the background: wait this long at most, then retry later.
MEDIA_WAIT_SECONDS = 30.0
MEDIA_POLL_DELAYS = (0.2, 0.5, 1.0, 2.0)


def idempotency_key(publication: Publication) -> str:
    return f"carepost-{publication.pk}-{publication.revision_id}"


def snowflake_at(when: datetime) -> int:
    """The smallest Mastodon status id a status created at `when` can have."""
    return int(when.timestamp() * 1000) << 16


_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
# Mastodon shows a mention of @user@other.server as "@user".
_MENTION_DOMAIN = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


def plain_text(content: str) -> str:
    """A status's HTML content as plain text: tags stripped, entities unescaped."""
    return html.unescape(_TAGS.sub("", _BREAKS.sub("\n", content)))


def comparable(text: str) -> str:
    return _SPACE.sub(" ", _MENTION_DOMAIN.sub(r"@\1", text)).strip()


def _created(status: Any) -> datetime:
    value = status["created_at"]
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class MastodonConnector:
    limits = Limits(
        text_max=500,
        text_unit="characters",
        max_images=4,
        image_max_bytes=16 * 1024 * 1024,
        deletion_note=(
            "Mastodon sends the deletion to every server that received the post. Servers "
            "that ignore it or were offline may keep a copy: deletion reaches only as far "
            "as other servers honour it."
        ),
    )

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self._last_response: requests.Response | None = None

    # -- the contract -----------------------------------------------------------------
    def publish(self, publication: Publication) -> PublishResult:
        api = self._client()
        photos = list(publication.revision.photos.all())
        if len(photos) > self.limits.max_images:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"Mastodon takes at most {self.limits.max_images} photos in a post; this one "
                f"has {len(photos)}. Remove some photos and send it for review again.",
            )
        # Uploading media creates nothing anyone can see (unused uploads are cleared by
        # the server), so failures up to here are safe to retry.
        try:
            media_ids = [self._upload(api, photo) for photo in photos]
        except MastodonError as exc:
            raise self._error(exc, creating=False, doing="upload the photos") from None
        visibility = self.channel.config.get("visibility", "public")
        try:
            status = api.status_post(
                publication.revision.text,
                media_ids=media_ids or None,
                visibility=visibility if visibility in VISIBILITIES else "public",
                idempotency_key=idempotency_key(publication),
            )
        except MastodonError as exc:
            raise self._error(exc, creating=True, doing="publish the post") from None
        return PublishResult(external_id=str(status["id"]), url=self._status_url(status))

    def delete(self, external_id: str) -> DeleteResult:
        api = self._client()
        try:
            api.status_delete(external_id)
        except MastodonNotFoundError:
            return DeleteResult(
                outcome="already_gone",
                detail=f"The post was already gone from {self._account()}.",
            )
        except MastodonError as exc:
            raise self._error(exc, creating=False, doing="delete the post") from None
        return DeleteResult(
            outcome="deleted",
            detail=(
                f"Deleted from {self._account()}. Mastodon asks every server that received "
                "it to delete its copy."
            ),
        )

    def status(self, external_id: str) -> RemoteState:
        api = self._client()
        try:
            api.status(external_id)
        except MastodonNotFoundError:
            return RemoteState.GONE
        except MastodonError as exc:
            raise self._error(exc, creating=False, doing="check the post") from None
        return RemoteState.LIVE

    def find_published(self, publication: Publication) -> PublishResult | None:
        """The post if the lost send created it; None if it surely did not (resend is safe)."""
        started = publication.claimed_at or publication.created_at
        api = self._client()
        wanted = comparable(publication.revision.text)
        photos = publication.revision.photos.count()
        try:
            account_id = self.channel.config.get("account_id") or str(
                api.account_verify_credentials()["id"]
            )
            after = snowflake_at(started - FIND_MARGIN)
            for _page in range(FIND_MAX_PAGES):
                # min_id pages forward in time from the send, so the post, if it exists,
                # is in the first page or two however busy the account is.
                page = api.account_statuses(
                    account_id,
                    min_id=after,
                    limit=FIND_PAGE_SIZE,
                    exclude_reblogs=True,
                    exclude_replies=True,
                )
                if not page:
                    break
                ordered = sorted(page, key=lambda s: int(s["id"]))
                for status in ordered:
                    if (
                        comparable(plain_text(status["content"] or "")) == wanted
                        and len(status["media_attachments"] or []) == photos
                    ):
                        return PublishResult(
                            external_id=str(status["id"]), url=self._status_url(status)
                        )
                if _created(ordered[-1]) > started + FIND_WINDOW:
                    break  # newer than anything the send could have made
                after = int(ordered[-1]["id"])
            else:
                raise ConnectorError(
                    ErrorKind.UNKNOWN,
                    f"{self._account()} has posted too much since this post was sent for "
                    "Carepost to check it. Please look at the account to see whether the "
                    "post is there.",
                )
        except MastodonError as exc:
            raise self._error(exc, creating=False, doing="look for the post") from None
        if timezone.now() - started < RESEND_WINDOW:
            return None  # not there: resending with the same Idempotency-Key is safe
        raise ConnectorError(
            ErrorKind.UNKNOWN,
            f"Carepost could not find this post on {self._account()}, and it was sent too "
            "long ago to be sure that sending it again would not post it twice. Please look "
            "at the account to see whether the post is there.",
        )

    # -- helpers ----------------------------------------------------------------------
    def _client(self) -> Mastodon:
        credentials = self.channel.credentials
        if not credentials.get("access_token") or not self.channel.config.get("instance_url"):
            raise ConnectorError(
                ErrorKind.AUTH, f"{self.channel.name} is not connected to Mastodon. Reconnect it."
            )
        session = requests.Session()
        session.hooks["response"].append(self._remember)
        return Mastodon(
            access_token=credentials["access_token"],
            api_base_url=self.channel.config["instance_url"],
            ratelimit_method="throw",
            request_timeout=settings.CAREPOST_CONNECTOR_TIMEOUT,
            version_check_mode="none",
            session=session,
            user_agent=USER_AGENT,
        )

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_response = response

    def _account(self) -> str:
        return str(self.channel.config.get("account") or self.channel.name)

    def _status_url(self, status: Any) -> str:
        return str(status["url"] or status["uri"])

    def _upload(self, api: Mastodon, photo: RevisionPhoto) -> str:
        data, content_type = photo.published_image()
        extension = content_type.rsplit("/", 1)[-1].replace("jpeg", "jpg")
        media = api.media_post(
            data,
            mime_type=content_type,
            description=photo.alt_text,
            file_name=f"photo-{photo.position + 1}.{extension}",
        )
        deadline = time.monotonic() + MEDIA_WAIT_SECONDS
        attempt = 0
        while not media.get("url"):
            delay = MEDIA_POLL_DELAYS[min(attempt, len(MEDIA_POLL_DELAYS) - 1)]
            if time.monotonic() + delay > deadline:
                raise ConnectorError(
                    ErrorKind.TRANSIENT,
                    "Mastodon is still processing the photos. Carepost will try again shortly.",
                    retry_after=60,
                )
            time.sleep(delay)
            attempt += 1
            media = api.media(media["id"])
        return str(media["id"])

    def _error(self, exc: MastodonError, *, creating: bool, doing: str) -> ConnectorError:
        """What a failed call means for the outbox. Never includes a token."""
        where = self._account()
        if isinstance(exc, MastodonRatelimitError):
            last = self._last_response
            if creating and last is not None and last.status_code != 429:
                # Mastodon.py could not read the rate-limit headers of an answer that
                # may have been a success: the post may exist.
                return ConnectorError(
                    ErrorKind.UNKNOWN,
                    f"Mastodon gave an answer Carepost could not read while trying to {doing} "
                    f"on {where}, so it may or may not have gone out. Carepost is checking.",
                )
            headers = dict(last.headers) if last is not None else {}
            return ConnectorError(
                ErrorKind.TRANSIENT,
                f"Mastodon asked Carepost to slow down while trying to {doing} on {where}. "
                "It will try again shortly.",
                retry_after=retry_after_seconds(headers, time.time()),
            )
        if isinstance(exc, MastodonUnauthorizedError):
            return ConnectorError(
                ErrorKind.AUTH,
                f"Mastodon no longer accepts Carepost's access to {where}. A reviewer needs "
                "to reconnect the channel; waiting posts go out once it is reconnected.",
            )
        if isinstance(exc, MastodonNetworkError):
            if creating:
                return ConnectorError(
                    ErrorKind.UNKNOWN,
                    f"The connection to Mastodon broke while trying to {doing} on {where}, "
                    "so it may or may not have gone out. Carepost is checking.",
                )
            return ConnectorError(
                ErrorKind.TRANSIENT,
                f"Carepost could not reach Mastodon to {doing} on {where}. It will try again.",
            )
        status, server_message = _status_and_message(exc)
        if isinstance(exc, MastodonServerError) or (status is not None and status >= 500):
            if creating and status not in (502, 503):
                return ConnectorError(
                    ErrorKind.UNKNOWN,
                    f"Mastodon had an error (HTTP {status}) while trying to {doing} on "
                    f"{where}, so it may or may not have gone out. Carepost is checking.",
                )
            return ConnectorError(
                ErrorKind.TRANSIENT,
                f"Mastodon is having problems (HTTP {status}) and could not {doing} on "
                f"{where}. Carepost will try again.",
            )
        if status == 422:
            detail = (server_message or "it gave no reason").removeprefix("Validation failed: ")
            return ConnectorError(
                ErrorKind.PERMANENT,
                f"Mastodon did not accept the post for {where}: {detail}. Change the post "
                "and send it for review again.",
            )
        if status is not None:
            kind = classify_status(status)
            reason = f": {server_message}" if server_message else ""
            return ConnectorError(
                kind,
                f"Mastodon refused to {doing} on {where} (HTTP {status}{reason}).",
            )
        if isinstance(exc, MastodonAPIError) and creating:
            # An answer Carepost could not read: the post may exist.
            return ConnectorError(
                ErrorKind.UNKNOWN,
                f"Mastodon gave an answer Carepost could not read while trying to {doing} on "
                f"{where}, so it may or may not have gone out. Carepost is checking.",
            )
        if isinstance(exc, MastodonAPIError):
            return ConnectorError(
                ErrorKind.TRANSIENT,
                f"Mastodon gave an answer Carepost could not read while trying to {doing} on "
                f"{where}. It will try again.",
            )
        return ConnectorError(
            ErrorKind.PERMANENT, f"Carepost could not {doing} on {where}: {type(exc).__name__}."
        )


def _status_and_message(exc: MastodonError) -> tuple[int | None, str]:
    """Mastodon.py raises API errors as (text, status, reason, server's error message)."""
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    message = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
    return status, message
