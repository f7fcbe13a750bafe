"""Map domain errors raised anywhere below a view to one response shape."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carepost.common.errors import DomainError, PermissionDenied


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, DomainError | PermissionDenied):
            status = exc.status_code
            title = {
                403: "You cannot do this",
                409: "This has changed",
            }.get(status, "This could not be done")
            return render(
                request,
                "error.html",
                {"title": title, "message": exc.message},
                status=status,
            )
        return None
