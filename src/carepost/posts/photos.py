"""Photo intake: refuse what is not a safe, ordinary photo; make a clean copy.

The clean copy is re-encoded from pixels only, with the orientation applied, so no
EXIF, GPS, XMP, IPTC, comment or ICC data survives. It is the only copy ever served.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from carepost.common.errors import ValidationFailed

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


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


def _metadata_kinds(img: Image.Image) -> list[str]:
    found = []
    exif = img.getexif()
    if exif:
        found.append("exif")
        if exif.get_ifd(0x8825):
            found.append("gps")
    info = img.info
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        found.append("xmp")
    if "photoshop" in info or "iptc" in info:
        found.append("iptc")
    if "comment" in info:
        found.append("comment")
    if "icc_profile" in info:
        found.append("icc_profile")
    text_chunks = getattr(img, "text", None)
    if text_chunks:
        found.append("text")
    return found


def photo_intake(*, data: bytes, name: str) -> CleanPhoto:
    """Validate an uploaded photo and return its clean copy. Raises ValidationFailed."""
    label = name or "The photo"
    if len(data) > settings.CAREPOST_PHOTO_MAX_BYTES:
        limit_mb = settings.CAREPOST_PHOTO_MAX_BYTES // (1024 * 1024)
        raise ValidationFailed(f"{label} is larger than {limit_mb} MB. Please use a smaller photo.")
    if not data:
        raise ValidationFailed(f"{label} is empty. Please choose the photo again.")
    max_pixels = settings.CAREPOST_PHOTO_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                if fmt not in ACCEPTED_FORMATS:
                    raise ValidationFailed(
                        f"{label} is not a JPEG, PNG or WebP photo. "
                        "Please save it as a JPEG and try again."
                    )
                if probe.width * probe.height > max_pixels:
                    raise ValidationFailed(
                        f"{label} has too many pixels. Please use a smaller photo."
                    )
                if getattr(probe, "n_frames", 1) > 1:
                    raise ValidationFailed(f"{label} is animated. Please upload a still photo.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                metadata = _metadata_kinds(img)
                img.load()
                upright = ImageOps.exif_transpose(img)
                has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                    upright.mode == "P" and "transparency" in upright.info
                )
                out = io.BytesIO()
                if has_alpha:
                    pixels = upright.convert("RGBA")
                    pixels.save(out, format="PNG", optimize=True)
                    content_type, ext = "image/png", "png"
                else:
                    pixels = upright.convert("RGB")
                    pixels.save(out, format="JPEG", quality=90, optimize=True)
                    content_type, ext = "image/jpeg", "jpg"
                width, height = pixels.size
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationFailed(f"{label} has too many pixels. Please use a smaller photo.") from exc
    except UnidentifiedImageError as exc:
        raise ValidationFailed(
            f"{label} is not a photo Carepost can read. Please save it as a JPEG and try again."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationFailed(
            f"{label} looks damaged or incomplete. Please take or export it again."
        ) from exc
    return CleanPhoto(
        original=data,
        clean=out.getvalue(),
        content_type=content_type,
        extension=ext,
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        metadata_found=metadata,
    )
