"""The one place where the API turns exceptions into responses.

Every error body has the same shape, `{"detail": "<plain-English message>"}`:

- `PermissionDenied` (ours and Django's) → 403
- `InvalidTransition`, `ConflictError` → 409
- `ValidationFailed` → 400 (any other `DomainError` → its `status_code`)
- `Http404` → 404
- no or bad token → 401 (with `WWW-Authenticate: Bearer`)
- a request the schema cannot read → 422 (plus `errors`, the fields concerned)
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
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
SERVER_ERROR = "Something went wrong on our side. Please try again; if it keeps happening, tell your administrator."


def _field_name(error: dict[str, object]) -> str:
    loc = error.get("loc") or ()
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form", "file")]  # type: ignore[attr-defined]
    return ".".join(parts) or "request"


def install_error_handlers(api: NinjaAPI) -> None:
    """Register every handler on the api object (ninja looks them up by exception class)."""

    def respond(request: HttpRequest, status: int, detail: str, **extra: object) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.status_code, exc.message)

    def on_permission_denied(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        message = getattr(exc, "message", None) or str(exc) or DEFAULT_FORBIDDEN
        return respond(request, 403, message)

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        message = str(exc) or "Not found"
        return respond(request, 404, message.rstrip(".") + ".")

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = respond(request, 401, UNAUTHENTICATED)
        response["WWW-Authenticate"] = 'Bearer realm="Carepost API"'
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return respond(request, exc.status_code, exc.message)

    def on_invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors]
        fields = sorted({_field_name(e) for e in errors})
        detail = "The request could not be read. Check these fields: " + ", ".join(fields) + "."
        return respond(request, 422, detail, errors=errors)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in the API", exc_info=exc)
        return respond(request, 500, SERVER_ERROR)

    api.add_exception_handler(DomainError, on_domain_error)
    api.add_exception_handler(DjangoPermissionDenied, on_permission_denied)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(AuthenticationError, on_unauthenticated)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(ValidationError, on_invalid_request)
    api.add_exception_handler(Exception, on_unexpected)
