"""Hostile and broken files: each is rejected with a clear message (PhotoRejected) or
handled safely; nothing else escapes and nothing hangs."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image, PngImagePlugin

from carepost.screening.photos import PhotoLimits, PhotoRejected, inspect, load, render_clean

from . import samples


def small_jpeg() -> bytes:
    return samples.jpeg(samples.picture((64, 48)))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG declaring width x height pixels of zeros (a zlib bomb)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    row = b"\x00" * (width + 1)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(min(height, 2000))) + comp.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def rejected(data: bytes, **kwargs) -> str:
    for call in (load, lambda d, **k: inspect(d, faces=False, ocr=False, **k), render_clean):
        with pytest.raises(PhotoRejected) as info:
            call(data, **kwargs)
    message = info.value.message
    assert message and "Traceback" not in message and len(message) < 300
    return message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"%PDF-1.7\n1 0 obj <<>> endobj\n", "PDF"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        (b"<svg width='10' height='10'><script>alert(1)</script></svg>", "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "web page"),
        (b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 40, "ZIP"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40, "video"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 40, "TIFF"),
        (b"MZ\x90\x00" + b"\x00" * 60, "program"),
        (b"", "empty"),
        (b"hello, this is just some text pretending to be a photo", "not a photo"),
    ],
)
def test_files_that_are_something_else_are_rejected_by_content(data, words):
    assert words in rejected(data)


def test_the_file_name_is_never_trusted_a_png_in_jpeg_clothing_is_read_as_png():
    report = inspect(samples.png(samples.picture((30, 20))), faces=False, ocr=False)
    assert report.format == "PNG"


def test_a_truncated_jpeg_is_rejected_as_incomplete():
    data = samples.jpeg(samples.picture((400, 300)))
    assert "incomplete" in rejected(data[: len(data) // 2])


def test_a_truncated_png_is_rejected():
    data = samples.png(samples.picture((200, 100)))
    rejected(data[: len(data) - 200])


def test_huge_declared_dimensions_are_rejected_before_decoding():
    data = png_bomb(60_000, 60_000)
    assert len(data) < 200_000
    start = time.perf_counter()
    message = rejected(data)
    assert time.perf_counter() - start < 2
    assert "too large" in message


def test_a_png_zlib_bomb_within_pillows_default_limit_is_stopped_by_our_limits():
    data = png_bomb(9_000, 9_000)  # 81 MP of zeros in a tiny file
    assert len(data) < 100_000
    assert "too large" in rejected(data, limits=PhotoLimits(max_pixels=50_000_000))


def test_limits_come_from_photo_limits():
    data = samples.jpeg(samples.picture((400, 300)))
    assert "too big" in rejected(data, limits=PhotoLimits(max_bytes=1000))
    assert "too large" in rejected(data, limits=PhotoLimits(max_pixels=100_000))
    assert "too large" in rejected(data, limits=PhotoLimits(max_side=399))
    assert load(data, limits=PhotoLimits(max_pixels=120_000, max_side=400)).size == (400, 300)


def test_a_text_chunk_bomb_is_rejected():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * 5_000_000, zip=True)  # 5 MB of text in a few KB
    out = io.BytesIO()
    samples.picture((20, 20)).save(out, "PNG", pnginfo=info)
    assert len(out.getvalue()) < 50_000
    assert "compressed data" in rejected(out.getvalue())


def test_a_jpeg_with_a_zip_appended_is_rejected():
    zip_tail = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(zip_tail, "w") as archive:
        archive.writestr("payload.txt", "hidden")
    assert "archive" in rejected(small_jpeg() + zip_tail.getvalue())


@pytest.mark.parametrize(
    "tail", [b"<html><script>alert(1)</script></html>", b"<?php system($_GET['c']); ?>"]
)
def test_a_jpeg_with_markup_appended_is_rejected(tail):
    assert "web page or script" in rejected(small_jpeg() + tail)


def test_harmless_trailing_bytes_are_dropped_by_re_encoding():
    data = small_jpeg() + b"\x00\x00\x00\x18ftypmp42 motion photo"
    clean, _ = render_clean(data)
    assert b"motion photo" not in clean


def test_a_gif_with_thousands_of_frames_does_not_hang():
    frames = [Image.new("RGB", (8, 8), (i % 256, i // 256, 0)) for i in range(3000)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    start = time.perf_counter()
    report = inspect(out.getvalue(), faces=False, ocr=False)
    assert report.frames > 1 and time.perf_counter() - start < 5


def test_non_bytes_input_is_rejected():
    with pytest.raises(PhotoRejected):
        load("not bytes")
