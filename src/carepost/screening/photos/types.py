"""The values the photo checks return (no Django, no heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class PhotoRejected(Exception):
    """A file we will not publish. ``message`` is plain English for a care worker."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PhotoLimits:
    """Limits checked before any pixel is decoded (the desk passes its settings)."""

    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_side: int = 12_000


@dataclass(frozen=True)
class Box:
    """A pixel box in the ORIENTED full-size image (after EXIF orientation)."""

    x: int
    y: int
    w: int
    h: int
    score: float = 1.0

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True)
class MetadataItem:
    """One piece of metadata a photo carries.

    kind: gps, camera, datetime, author, comment, xmp, iptc, icc, thumbnail, software,
    serial, other. ``value`` is short and safe to show. GPS is ``blocking`` until stripped.
    """

    kind: str
    label: str
    value: str
    blocking: bool = False


@dataclass(frozen=True)
class OcrLine:
    text: str
    box: Box
    score: float


@dataclass
class PhotoReport:
    format: str
    width: int
    height: int
    frames: int
    notes: list[str] = field(default_factory=list)
    metadata: list[MetadataItem] = field(default_factory=list)
    faces: list[Box] = field(default_factory=list)
    text: list[OcrLine] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        actions = {f.get("action") for f in self.findings}
        if "block" in actions:
            return "block"
        if "review" in actions:
            return "review"
        return "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "notes": list(self.notes),
            "metadata": [
                {"kind": m.kind, "label": m.label, "value": m.value, "blocking": m.blocking}
                for m in self.metadata
            ],
            "faces": [{**b.to_dict(), "score": round(b.score, 3)} for b in self.faces],
            "text": [
                {"text": t.text, "box": t.box.to_dict(), "score": round(t.score, 3)}
                for t in self.text
            ],
            "findings": list(self.findings),
        }


DEFAULT_LIMITS = PhotoLimits()
