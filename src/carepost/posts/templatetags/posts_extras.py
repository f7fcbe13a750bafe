from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from carepost.posts.models import ScreeningFinding

register = template.Library()


@register.filter
def highlight_findings(text: str, findings: Iterable[ScreeningFinding]) -> SafeString:
    """The post text with each finding's span marked, numbered to match the list."""
    spans = sorted(
        ((f.start, f.end, i) for i, f in enumerate(findings, start=1) if f.source == "text"),
        key=lambda s: (s[0], -s[1]),
    )
    out: list[str] = []
    pos = 0
    for start, end, number in spans:
        if start < pos or end > len(text):
            continue  # overlapping spans: the first one wins
        out.append(escape(text[pos:start]))
        out.append(
            f'<mark class="finding-mark">{escape(text[start:end])}<sup>{number}</sup></mark>'
        )
        pos = end
    out.append(escape(text[pos:]))
    return mark_safe(linebreaks("".join(out), autoescape=False))  # noqa: S308 - every piece escaped above


@register.filter
def status_class(value: str) -> str:
    return f"status status-{value}"


CHECK_LABELS = {
    "person": "Person supported",
    "unknown_name": "Possible name",
    "personal_data": "Personal details",
    "special_category": "Health or other sensitive detail",
    "location": "Location",
    "confidential": "Confidential matter",
    "offensive": "Offensive language",
    "voice": "Personal opinion",
    "watched_term": "Watched term",
    "metadata": "Photo metadata",
    "face": "Face in photo",
}


@register.filter
def check_label(check_name: str) -> str:
    return CHECK_LABELS.get(check_name, check_name.replace("_", " ").capitalize())
