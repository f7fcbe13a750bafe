"""Fitting photos into the 1,000,000-byte blob limit, keeping as much quality as fits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from carepost.publishing.connectors.bluesky.images import (
    QUALITIES,
    ImageTooLarge,
    fit_image,
)

LIMIT = 1_000_000


def encoded(image: Image.Image, fmt: str, **kw: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


def noise(width: int, height: int, seed: int = 3) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def test_a_photo_that_fits_is_sent_byte_for_byte() -> None:
    data = encoded(Image.new("RGB", (800, 600), (90, 140, 60)), "JPEG", quality=95)
    fitted = fit_image(data, "image/jpeg", LIMIT)
    assert fitted.data == data and not fitted.reencoded
    assert (fitted.mime_type, fitted.width, fitted.height) == ("image/jpeg", 800, 600)


def test_a_large_noisy_photo_is_made_to_fit_keeping_as_much_as_fits() -> None:
    source = noise(2400, 1800)
    data = encoded(source, "PNG")
    assert len(data) > 10 * LIMIT
    fitted = fit_image(data, "image/png", LIMIT)

    assert len(fitted.data) <= LIMIT
    assert fitted.mime_type == "image/jpeg" and fitted.reencoded
    with Image.open(io.BytesIO(fitted.data)) as out:
        assert out.size == (fitted.width, fitted.height)
        assert out.format == "JPEG" and not out.info.get("exif")
    # Same shape, not cropped.
    assert abs(fitted.width / fitted.height - 4 / 3) < 0.01
    # Quality first, then size: no higher quality fits at the size chosen...
    assert fitted.quality is not None
    frame = source.resize((fitted.width, fitted.height), Image.Resampling.LANCZOS)
    better = [q for q in QUALITIES if q > fitted.quality]
    for quality in better:
        assert len(encoded(frame, "JPEG", quality=quality, optimize=True, progressive=True)) > LIMIT
    # ...and it uses the room it has: not a blind shrink far below the limit.
    assert len(fitted.data) > 0.6 * LIMIT


def test_quality_is_lowered_before_the_photo_is_made_smaller() -> None:
    # A photo just over the limit at top quality fits at full size with a lower one.
    source = noise(900, 700, seed=5).resize((1800, 1400), Image.Resampling.BILINEAR)
    data = encoded(source, "JPEG", quality=98)
    lowest = encoded(source, "JPEG", quality=QUALITIES[-1], optimize=True, progressive=True)
    assert len(data) > LIMIT >= len(lowest)  # some quality in the steps fits at full size
    fitted = fit_image(data, "image/jpeg", LIMIT)
    assert (fitted.width, fitted.height) == (1800, 1400)
    assert fitted.reencoded and fitted.scale == 1.0


def test_transparent_areas_become_white_when_re_encoded() -> None:
    image = noise(1200, 900).convert("RGBA")
    image.putalpha(Image.new("L", image.size, 255))
    corner = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste(corner, (0, 0))
    fitted = fit_image(encoded(image, "PNG"), "image/png", LIMIT)
    with Image.open(io.BytesIO(fitted.data)) as out:
        r, g, b = out.convert("RGB").getpixel((5, 5))
    assert min(r, g, b) > 230


def test_a_photo_that_cannot_fit_without_becoming_tiny_is_refused() -> None:
    data = encoded(noise(1200, 900), "PNG")
    with pytest.raises(ImageTooLarge):
        fit_image(data, "image/png", 5_000)
