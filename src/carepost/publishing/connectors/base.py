"""The contract every connector implements (DESIGN.md rule 7; docs/connectors.md).

`publish`, `delete`, `status` and `find_published` never touch the database: the
outbox services call them outside any transaction and record the outcome afterwards.
Every failure is raised as a `ConnectorError` whose `kind` tells the outbox what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

    from carepost.publishing.models import Channel, Publication


class ErrorKind(StrEnum):
    PERMANENT = "permanent"  # will never work as it is: record and stop
    TRANSIENT = "transient"  # safe to try again later (nothing was created)
    UNKNOWN = "unknown"  # it may have happened: reconcile, never blindly retry
    AUTH = "auth"  # the channel's credentials are no longer accepted


class ConnectorError(Exception):
    def __init__(self, kind: ErrorKind, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class PublishResult:
    external_id: str
    url: str


class RemoteState(StrEnum):
    LIVE = "live"
    GONE = "gone"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DeleteResult:
    outcome: str  # "deleted", "already_gone" or "not_possible"
    detail: str = ""


@dataclass(frozen=True)
class Limits:
    """What a platform accepts, for previews and for checks before sending."""

    text_max: int  # in `text_unit`s
    text_unit: str = "characters"  # or "graphemes"
    max_images: int = 4
    image_max_bytes: int | None = None
    # Plain-English truth about deletion, shown wherever a take-down is offered.
    deletion_note: str = ""


class Connector(Protocol):
    channel: Channel
    limits: Limits

    def publish(self, publication: Publication) -> PublishResult: ...

    def delete(self, external_id: str) -> DeleteResult: ...

    def status(self, external_id: str) -> RemoteState: ...

    def find_published(self, publication: Publication) -> PublishResult | None:
        """After an unknown outcome: the post if it went out, None if it surely did not.

        Raise ConnectorError when the platform cannot tell yet; the row stays unknown.
        """
        ...


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait from Retry-After (seconds or HTTP date) or a reset header.

    Handles `Retry-After`, `X-RateLimit-Reset`/`RateLimit-Reset` as epoch seconds,
    as seconds to wait (small numbers), or as an ISO 8601 time (Mastodon).
    """
    from datetime import datetime

    lower = {k.lower(): v for k, v in headers.items()}
    value = lower.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - now)
            except (TypeError, ValueError):
                pass
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = lower.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                when = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return max(0.0, when.timestamp() - now)
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    return None


def classify_status(status: int) -> ErrorKind:
    """The default meaning of an HTTP error status for a request that creates something."""
    if status in (401,):
        return ErrorKind.AUTH
    if status in (408, 425, 429) or 500 <= status <= 599:
        # A 5xx on create may or may not have created it; connectors that cannot
        # prove otherwise treat 500/504 on create as UNKNOWN (see their code).
        return ErrorKind.TRANSIENT
    return ErrorKind.PERMANENT
