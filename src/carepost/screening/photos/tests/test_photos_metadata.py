"""Metadata: reported in plain English, and gone from the published copy (checked with
exiftool and with Pillow); orientation applied; HEIC, PNG, WebP and GIF input."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from PIL import Image

from carepost.screening.photos import (
    PhotoRejected,
    inspect,
    load,
    read_metadata,
    render_clean,
)

from . import samples

SECRET = samples.SECRET.encode()
# Groups exiftool may show for a clean JPEG: the file itself and the JFIF header.
CLEAN_GROUPS = {"ExifTool", "System", "File", "JFIF", "Composite"}


def exif_groups(exiftool: str, data: bytes, tmp_path) -> dict[str, object]:
    path = tmp_path / "out.jpg"
    path.write_bytes(data)
    result = subprocess.run(  # noqa: S603
        [exiftool, "-j", "-a", "-G1", "-u", "-b", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)[0]


MAKERS = {
    "jpeg": samples.jpeg_with_everything,
    "png": samples.png_with_chunks,
    "webp": samples.webp_with_metadata,
    "heic": lambda: samples.heic(orientation=1),
}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_every_metadata_type_is_gone_from_the_clean_copy(kind, exiftool, tmp_path):
    original = MAKERS[kind]()
    assert SECRET in original or kind == "png"  # PNG zTXt hides it compressed
    clean, content_type = render_clean(original)
    assert content_type == "image/jpeg"
    tags = exif_groups(exiftool, clean, tmp_path)
    groups = {key.split(":", 1)[0] for key in tags if ":" in key}
    assert groups <= CLEAN_GROUPS, groups
    for key in tags:
        assert not key.split(":")[-1].startswith(
            ("GPS", "Make", "Model", "Serial", "Artist", "Owner")
        )
    assert SECRET not in clean
    assert b"Barrhead" not in clean and b"ftypmp42" not in clean
    again = Image.open(io.BytesIO(clean))
    assert set(again.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
    assert len(again.getexif()) == 0
    assert [m for m, _ in again.applist] == ["APP0"]
    assert read_metadata(clean) == []


def test_the_original_jpeg_really_carried_everything(exiftool, tmp_path):
    tags = exif_groups(exiftool, samples.jpeg_with_everything(), tmp_path)
    groups = {key.split(":", 1)[0] for key in tags if ":" in key}
    assert {"IFD0", "ExifIFD", "GPS", "IFD1", "XMP-exif", "IPTC", "ICC_Profile"} <= groups
    assert any(key.endswith(":Comment") for key in tags)
    assert any(key.endswith(":ThumbnailImage") for key in tags)


def test_read_metadata_reports_each_kind_in_plain_english():
    items = read_metadata(samples.jpeg_with_everything())
    kinds = {item.kind for item in items}
    assert {
        "gps",
        "camera",
        "datetime",
        "author",
        "comment",
        "xmp",
        "iptc",
        "icc",
        "thumbnail",
    } <= kinds
    assert {"software", "serial"} <= kinds
    gps = next(item for item in items if item.label.startswith("GPS position (where"))
    assert gps.value == "55.95, -3.19" and gps.blocking
    assert all(len(item.value) <= 60 for item in items)
    assert not any(item.blocking for item in items if item.kind not in ("gps",))


def test_png_text_chunks_are_reported():
    items = read_metadata(samples.png_with_chunks())
    values = {item.value for item in items}
    assert "Jane Carer" in values
    assert "Comment by Jane Carer" in values  # zTXt
    assert "Described by Jane Carer" in values  # iTXt
    assert any(item.kind == "gps" for item in items)  # eXIf chunk


def test_gps_finding_blocks_until_stripped():
    report = inspect(samples.jpeg_with_everything(), faces=False, ocr=False)
    gps = [f for f in report.findings if f["code"] == "metadata.gps"]
    assert gps and all(f["action"] == "block" and f["source"] == "image" for f in gps)
    assert report.verdict == "block"
    clean, _ = render_clean(samples.jpeg_with_everything())
    assert inspect(clean, faces=False, ocr=False).findings == []


def test_orientation_is_applied_before_the_metadata_goes():
    data = samples.jpeg_with_everything((400, 300), orientation=6)
    image = load(data)
    assert image.size == (300, 400)
    # the red top-left corner of the stored pixels is at the top right once turned
    assert image.getpixel((image.width - 5, 5))[0] > 200
    assert image.getpixel((5, 5))[0] < 60
    clean, _ = render_clean(data)
    assert Image.open(io.BytesIO(clean)).size == (300, 400)
    report = inspect(data, faces=False, ocr=False)
    assert (report.width, report.height) == (300, 400)


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 7, 8])
def test_every_orientation_gives_the_displayed_size(orientation):
    image = load(samples.jpeg_with_everything((40, 30), orientation, thumbnail=False))
    assert image.size == ((30, 40) if orientation >= 5 else (40, 30))


def test_heic_input_is_read_and_published_as_jpeg():
    data = samples.heic((400, 300), orientation=1)
    report = inspect(data, faces=False, ocr=False)
    assert report.format == "HEIF" and (report.width, report.height) == (400, 300)
    assert any(item.kind == "gps" for item in report.metadata)
    clean, content_type = render_clean(data)
    assert content_type == "image/jpeg" and clean.startswith(b"\xff\xd8")
    image = load(clean)
    assert image.size == (400, 300) and image.getpixel((5, 5))[0] > 200


def test_an_animated_gif_is_reduced_to_its_first_frame_with_a_note():
    report = inspect(samples.animated_gif(3), faces=False, ocr=False)
    assert report.frames == 3
    assert report.notes == ["This was an animated image: only its first frame is used."]
    clean, _ = render_clean(samples.animated_gif(3))
    assert load(clean).getpixel((10, 10))[0] < 20  # frame 0 is (0, 90, 200)


def test_an_animated_png_is_reduced_to_its_first_frame():
    frames = [Image.new("RGB", (32, 32), (200 * (i == 0), 0, 50)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    report = inspect(out.getvalue(), faces=False, ocr=False)
    assert report.frames == 3 and report.notes
    assert load(out.getvalue()).getpixel((5, 5))[0] > 150


def test_transparent_png_is_flattened_on_white():
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 0, 0)).save(out, "PNG")
    assert load(out.getvalue()).getpixel((3, 3)) == (255, 255, 255)


def test_corrupt_exif_is_reported_not_raised():
    data = bytearray(samples.jpeg_with_everything(thumbnail=False))
    start = data.find(b"Exif\x00\x00")
    data[start + 10 : start + 60] = b"\xff" * 50  # smash the IFD offsets and counts
    items = read_metadata(bytes(data))
    assert isinstance(items, list)
    try:
        clean, _ = render_clean(bytes(data))
    except PhotoRejected:
        return
    assert read_metadata(clean) == []


def test_read_metadata_of_a_non_photo_is_empty():
    assert read_metadata(b"%PDF-1.7 hello") == []
    assert read_metadata(b"") == []
