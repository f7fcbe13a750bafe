from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

from carepost.posts.models import FaceRegion, ScreeningFinding

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


@register.filter
def face_box_style(face: FaceRegion) -> str:
    """The face's outline over its photo, in percent (the photo scales with the page)."""
    photo = face.photo
    w, h = max(photo.width, 1), max(photo.height, 1)
    return (
        f"left:{100 * face.x / w:.3f}%;top:{100 * face.y / h:.3f}%;"
        f"width:{100 * face.w / w:.3f}%;height:{100 * face.h / h:.3f}%"
    )


@register.filter
def face_where(face: FaceRegion) -> str:
    """Where the face is, in words: "top left", "centre", "bottom right"…"""
    photo = face.photo
    cx = (face.x + face.w / 2) / max(photo.width, 1)
    cy = (face.y + face.h / 2) / max(photo.height, 1)
    row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
    col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "middle"
    if row == col == "middle":
        return "centre"
    if row == "middle":
        return f"middle {col}"
    return f"{row} {col}" if col != "middle" else f"{row} middle"


@register.filter
def face_rows_for(form: Any, rp: Any) -> Any:
    """The form's face choices for one photo: [(face, bound field)]."""
    return form.face_rows(rp)
