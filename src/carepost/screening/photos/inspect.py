"""``inspect``: everything the desk needs to know about one photo, as findings."""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Any

from PIL import Image

from ..engine import screen
from ..findings import Finding
from ..policy import Policy
from ..register import Register
from .faces import DETECT_LONG_SIDE, detect_array
from .loading import analysis_copy, decode_pixels, open_checked
from .metadata import read_metadata
from .ocr import OCR_LONG_SIDE, read_text
from .plates import find_plates
from .types import DEFAULT_LIMITS, Box, MetadataItem, OcrLine, PhotoLimits, PhotoReport

FACE_MESSAGE = (
    "A face can be seen in this photo. Link it to a person who has agreed to be pictured, "
    "or blur it before publishing."
)
_METADATA_MESSAGES = {
    "gps": "This photo records where it was taken. Carepost removes it from the published copy.",
    "author": "This photo carries a person's name in its hidden data. Carepost removes it from the published copy.",
    "serial": "This photo carries the camera's serial number. Carepost removes it from the published copy.",
    "comment": "This photo carries hidden text. Carepost removes it from the published copy.",
    "thumbnail": "This photo carries a small preview that may show the uncropped picture. Carepost removes it from the published copy.",
}
_DEFAULT_METADATA_MESSAGE = (
    "This photo carries hidden data. Carepost removes it from the published copy."
)


def metadata_findings(items: list[MetadataItem]) -> list[dict[str, Any]]:
    """GPS and place names block (until the clean copy is made); the rest are warnings.
    Colour profiles are harmless and give no finding."""
    out = []
    for item in items:
        if item.kind == "icc":
            continue
        out.append(
            {
                "check": "metadata",
                "code": f"metadata.{item.kind}",
                "action": "block" if item.blocking else "warn",
                "start": 0,
                "end": 0,
                "text": item.value,
                "message": _METADATA_MESSAGES.get(item.kind, _DEFAULT_METADATA_MESSAGE),
                "source": "image",
                "label": item.label,
            }
        )
    return out


def face_findings(faces: list[Box]) -> list[dict[str, Any]]:
    return [
        {
            "check": "face",
            "code": "face.detected",
            "action": "review",
            "start": 0,
            "end": 0,
            "text": "",
            "message": FACE_MESSAGE,
            "source": "image",
            "box": box.to_dict(),
            "score": round(box.score, 3),
        }
        for box in faces
    ]


def text_findings(
    lines: list[OcrLine], *, register: Register | None = None, policy: Policy | None = None
) -> list[dict[str, Any]]:
    """Run the text checks on the OCR text (lines joined by spaces in reading order, so a name split over
    two lines of a badge is still one name), plus the number-plate check; each finding
    carries the box of the line(s) it came from."""
    if not lines:
        return []
    starts = []
    parts = []
    pos = 0
    for line in lines:
        starts.append(pos)
        parts.append(line.text)
        pos += len(line.text) + 1
    joined = " ".join(parts)
    findings: list[Finding] = list(screen(joined, register=register, policy=policy).findings)
    if policy is None or policy.enabled("personal_data"):
        findings += find_plates(joined)
    out = []
    for finding in sorted(findings, key=lambda f: (f.start, f.end, f.check, f.code)):
        first = max(0, bisect.bisect_right(starts, finding.start) - 1)
        last = max(first, bisect.bisect_right(starts, max(finding.start, finding.end - 1)) - 1)
        boxes = [line.box for line in lines[first : last + 1]]
        x0 = min(b.x for b in boxes)
        y0 = min(b.y for b in boxes)
        x1 = max(b.x + b.w for b in boxes)
        y1 = max(b.y + b.h for b in boxes)
        row = replace(finding, source="image").to_dict()
        row["box"] = {"x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0}
        out.append(row)
    return out


def inspect(
    data: bytes,
    *,
    limits: PhotoLimits = DEFAULT_LIMITS,
    register: Register | None = None,
    policy: Policy | None = None,
    faces: bool = True,
    ocr: bool = True,
) -> PhotoReport:
    """Check one photo: metadata, faces, text in the picture. Raises ``PhotoRejected``
    (only) for files that are not a usable photo."""
    opened = open_checked(data, limits)
    full_w, full_h = opened.oriented_size
    metadata = read_metadata(data)
    long_side = max(DETECT_LONG_SIDE if faces else 0, OCR_LONG_SIDE if ocr else 0) or 1024
    pixels = decode_pixels(opened, draft_to=long_side)  # also proves the pixels decode
    report = PhotoReport(
        format=opened.format,
        width=full_w,
        height=full_h,
        frames=opened.frames,
        notes=list(opened.notes),
        metadata=metadata,
    )
    if faces:
        small = analysis_copy(pixels, opened.orientation, DETECT_LONG_SIDE)
        report.faces = detect_array(small, full_size=(full_w, full_h))
    if ocr:
        small = analysis_copy(pixels, opened.orientation, OCR_LONG_SIDE, fine=True)
        report.text = read_text(Image.fromarray(small), full_size=(full_w, full_h))
    report.findings = (
        metadata_findings(metadata)
        + face_findings(report.faces)
        + text_findings(report.text, register=register, policy=policy)
    )
    return report
