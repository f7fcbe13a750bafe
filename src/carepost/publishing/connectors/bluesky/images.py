"""Fitting a photo into Bluesky's 1,000,000-byte image limit, losing as little as possible.

A photo that already fits goes out byte for byte (the exact pixels that were checked
and approved). A bigger one is re-encoded as JPEG: first at lower qualities in steps
(90 down to 70) at full size, and only if even quality 70 is too big, scaled down in
steps, trying the qualities again from the top at each size. The first encoding that
fits is therefore the largest size at the highest quality tried that fits, not a fixed
resize. Re-encoding keeps the pixels' content (no crop, no filter, no metadata: the
clean copy has none to keep).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

QUALITIES = (90, 85, 80, 75, 70)
MIN_SIDE = 320  # below this a photo is no longer worth publishing: refuse instead


class ImageTooLarge(ValueError):
    """Even the smallest acceptable version does not fit the limit."""


@dataclass(frozen=True)
class FittedImage:
    data: bytes
    mime_type: str
    width: int
    height: int
    quality: int | None = None  # JPEG quality when re-encoded, None when sent as it was
    scale: float = 1.0

    @property
    def reencoded(self) -> bool:
        return self.quality is not None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent areas onto white (as a reader would see them)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def fit_image(data: bytes, content_type: str, max_bytes: int) -> FittedImage:
    """The photo as it will be uploaded; raises ImageTooLarge or PIL's errors."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        width, height = opened.size
        if len(data) <= max_bytes:
            return FittedImage(data, content_type, width, height)
        source = _flatten(opened)
    scale = 1.0
    while True:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        frame = source if scale == 1.0 else source.resize(size, Image.Resampling.LANCZOS)
        for quality in QUALITIES:
            encoded = _jpeg(frame, quality)
            if len(encoded) <= max_bytes:
                return FittedImage(encoded, "image/jpeg", size[0], size[1], quality, scale)
        # Even the lowest quality is too big at this size. The file size of a JPEG grows
        # with its pixel count, so step down by about the factor that would make the
        # lowest quality fit, but never more than halve or less than 10% per step.
        factor = math.sqrt(max_bytes / len(encoded)) * 0.98
        scale *= min(0.9, max(0.5, factor))
        if min(width, height) * scale < MIN_SIDE:
            raise ImageTooLarge(
                f"The photo cannot be made smaller than {max_bytes:,} bytes without "
                f"shrinking it below {MIN_SIDE} pixels."
            )
