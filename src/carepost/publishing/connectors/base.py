"""The contract every connector implements.

`publish`, `delete` and `status` never touch the database: the outbox services call
them outside any transaction and record the outcome afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
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


class Connector(Protocol):
    channel: Channel

    def publish(self, publication: Publication) -> PublishResult: ...

    def delete(self, external_id: str) -> DeleteResult: ...

    def status(self, external_id: str) -> RemoteState: ...
