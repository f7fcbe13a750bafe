"""Photo intake: refuse what is not a safe, ordinary photo; make a clean copy quickly.

The checks and the clean copy come from the screening library
(`carepost.screening.photos`): the clean copy is re-encoded from pixels only, with the
orientation applied, so no EXIF, GPS, XMP, IPTC, comment or ICC data survives. Face
detection and reading text in the photo are slower and run afterwards in a task
(`posts/tasks.py::analyse_photo`).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image

from carepost.common.errors import ValidationFailed
from carepost.screening.photos import PhotoLimits, PhotoRejected, read_metadata, render_clean


@dataclass
class CleanPhoto:
    original: bytes
    clean: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str
    metadata_found: list[str] = field(default_factory=list)


def photo_limits() -> PhotoLimits:
    return PhotoLimits(
        max_bytes=settings.CAREPOST_PHOTO_MAX_BYTES,
        max_pixels=settings.CAREPOST_PHOTO_MAX_PIXELS,
    )


def photo_intake(*, data: bytes, name: str) -> CleanPhoto:
    """Validate an uploaded photo and return its clean copy. Raises ValidationFailed."""
    label = name or "The photo"
    try:
        clean, content_type = render_clean(data, limits=photo_limits())
    except PhotoRejected as exc:
        raise ValidationFailed(f"{label}: {exc.message}") from exc
    with Image.open(io.BytesIO(clean)) as img:
        width, height = img.size
    kinds = sorted({item.kind for item in read_metadata(data)})
    return CleanPhoto(
        original=data,
        clean=clean,
        content_type=content_type,
        extension="png" if content_type == "image/png" else "jpg",
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata_found=kinds,
    )
