"""Fuzz: thousands of mutated images (bit flips, truncations, chunk duplication, random
overwrites) thrown at load(), inspect(faces=False, ocr=False) and render_clean().
Nothing but PhotoRejected may escape, and no example may hang.

CAREPOST_PHOTO_FUZZ_EXAMPLES sets the number of examples (default 2000)."""

from __future__ import annotations

import io
import os
import signal
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from carepost.screening.photos import PhotoLimits, PhotoRejected, inspect, load, render_clean

from . import samples

EXAMPLES = int(os.environ.get("CAREPOST_PHOTO_FUZZ_EXAMPLES", "2000"))
PER_EXAMPLE_SECONDS = 5
LIMITS = PhotoLimits(max_bytes=2_000_000, max_pixels=4_000_000, max_side=4000)


@cache
def seeds() -> tuple[bytes, ...]:
    small = samples.picture((48, 32))
    out = io.BytesIO()
    small.save(out, "WEBP", exif=samples.exif(6), quality=60)
    webp = out.getvalue()
    out = io.BytesIO()
    small.save(out, "PNG", save_all=True, append_images=[small.rotate(90)])
    apng = out.getvalue()
    return (
        samples.jpeg_with_everything((48, 32), orientation=6, thumbnail=False),
        samples.png_with_chunks((40, 30)),
        webp,
        samples.animated_gif(2, (16, 12)),
        apng,
        samples.heic((32, 32), orientation=1),
    )


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        if size < 8:
            break
        op = draw(st.sampled_from(["flip", "truncate", "duplicate", "overwrite", "delete"]))
        a = draw(st.integers(0, size - 1))
        if op == "flip":
            data[a] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[max(4, a) :]
        elif op == "duplicate":
            b = min(size, a + draw(st.integers(1, 256)))
            at = draw(st.integers(0, size))
            data[at:at] = data[a:b]
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=16))
            data[a : a + len(chunk)] = chunk
        else:
            del data[a : a + draw(st.integers(1, 64))]
    return bytes(data)


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("an example took too long")


@settings(
    max_examples=EXAMPLES,
    deadline=None,  # the alarm below is the hard per-example limit
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_mutated_images_only_ever_raise_photo_rejected(data):
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, PER_EXAMPLE_SECONDS)
    try:
        for call in (
            lambda: load(data, limits=LIMITS),
            lambda: inspect(data, limits=LIMITS, faces=False, ocr=False),
            lambda: render_clean(data, limits=LIMITS),
        ):
            try:
                result = call()
            except PhotoRejected as error:
                assert error.message
                continue
            if isinstance(result, tuple):  # render_clean: a clean JPEG
                assert Image.open(io.BytesIO(result[0])).format == "JPEG"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
