"""confidential check (placeholder)."""

from __future__ import annotations

from ..findings import Finding
from ..text import Doc


def check_confidential(doc: Doc, register: object) -> list[Finding]:
    return []
