"""Render a whole page, or only its fragment when HTMX asked for it."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page_or_fragment(
    request: HttpRequest,
    page_template: str,
    fragment_template: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    htmx = getattr(request, "htmx", False)
    template = fragment_template if htmx else page_template
    return render(request, template, context, status=status)
