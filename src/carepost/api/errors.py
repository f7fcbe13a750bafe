"""The one place where the API turns exceptions into responses.

Every error body has the same shape, `{"detail": "<plain-English message>"}`:

- `PermissionDenied` (ours and Django's) → 403
- `InvalidTransition`, `ConflictError` → 409
- `ValidationFailed` → 400 (any other `DomainError` → its `status_code`)
- `Http404` → 404
- no or bad token → 401 (with `WWW-Authenticate: Bearer`)
- a request the schema cannot read → 422 (plus `errors`, the fields concerned)
- a request Django refuses as suspicious (e.g. a body over the size limit) → 400
- anything else → 500 with a generic message (the details go to the log only)
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from carepost.common.errors import DomainError

logger = logging.getLogger(__name__)

UNAUTHENTICATED = (
    "Send a valid API token as 'Authorization: Bearer cp_...'. "
    "Create one on the API tokens page (/accounts/api-tokens/)."
)
DEFAULT_FORBIDDEN = "You do not have permission to do this."
REFUSED_REQUEST = "The request was refused: it is too large or not well formed."
SERVER_ERROR = (
    "Something went wrong on our side. Please try again; "
    "if it keeps happening, tell your administrator."
)


def _field_name(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ()
    skip = {"body", "payload", "query", "path", "form", "file", "filters", "page"}
    parts = [str(p) for p in loc if p not in skip]
    return ".".join(parts) or "request"


def detail_for(exc: object) -> tuple[int, str]:
    """The status and plain-English message for an exception the API knows about."""
    if isinstance(exc, DomainError):
        return exc.status_code, exc.message
    if isinstance(exc, DjangoPermissionDenied):
        return 403, getattr(exc, "message", None) or str(exc) or DEFAULT_FORBIDDEN
    if isinstance(exc, Http404):
        return 404, (str(exc) or "Not found").rstrip(".") + "."
    if isinstance(exc, AuthenticationError):
        return 401, UNAUTHENTICATED
    if isinstance(exc, HttpError):
        return exc.status_code, exc.message
    if isinstance(exc, SuspiciousOperation):  # e.g. a body over DATA_UPLOAD_MAX_MEMORY_SIZE
        return 400, REFUSED_REQUEST
    return 500, SERVER_ERROR


def install_error_handlers(api: NinjaAPI) -> None:
    """Register every handler on the api object (ninja looks them up by exception class).

    Ninja types a handler's exception as "the exception or its class", hence `object`.
    """

    def respond(request: HttpRequest, status: int, detail: str, **extra: object) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    def on_known_error(request: HttpRequest, exc: object) -> HttpResponse:
        status, detail = detail_for(exc)
        response = respond(request, status, detail)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="Carepost API"'
        return response

    def on_invalid_request(request: HttpRequest, exc: object) -> HttpResponse:
        raw: list[dict[str, Any]] = list(getattr(exc, "errors", []))
        errors: list[dict[str, Any]] = [
            {k: e[k] for k in ("loc", "msg", "type") if k in e} for e in raw
        ]
        fields = sorted({_field_name(e) for e in errors})
        detail = "The request could not be read. Check these fields: " + ", ".join(fields) + "."
        return respond(request, 422, detail, errors=errors)

    def on_unexpected(request: HttpRequest, exc: object) -> HttpResponse:
        logger.error(
            "Unhandled error in the API", exc_info=exc if isinstance(exc, Exception) else None
        )
        return respond(request, 500, SERVER_ERROR)

    known_errors = (
        DomainError,
        DjangoPermissionDenied,
        Http404,
        AuthenticationError,
        HttpError,
        SuspiciousOperation,
    )
    for known in known_errors:
        api.add_exception_handler(known, on_known_error)
    api.add_exception_handler(ValidationError, on_invalid_request)
    api.add_exception_handler(Exception, on_unexpected)
