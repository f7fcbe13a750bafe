"""What a photo carries besides its pixels: EXIF (GPS, camera, serial, dates, author,
thumbnail), XMP, IPTC, ICC, comments and PNG text chunks. Never raises."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from typing import Any

from PIL import ExifTags, Image, IptcImagePlugin

from .loading import ACCEPTED, sniff
from .types import MetadataItem, PhotoRejected

_MAX_VALUE = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]+")

# (tag, kind, label) for IFD0 and the Exif sub-IFD.
_IFD0 = [
    (0x010F, "camera", "Camera make"),
    (0x0110, "camera", "Camera model"),
    (0x0131, "software", "Software used"),
    (0x013C, "software", "Computer used"),
    (0x0132, "datetime", "Date and time the file was changed"),
    (0x013B, "author", "Author (photographer's name)"),
    (0x8298, "author", "Copyright holder"),
    (0x010E, "comment", "Description written into the photo"),
    (0x9C9D, "author", "Author (Windows)"),
    (0x9C9C, "comment", "Comment (Windows)"),
    (0x9C9B, "comment", "Title (Windows)"),
    (0x9C9E, "comment", "Keywords (Windows)"),
    (0x9C9F, "comment", "Subject (Windows)"),
]
_EXIF = [
    (0x9003, "datetime", "Date and time the photo was taken"),
    (0x9004, "datetime", "Date and time the photo was digitised"),
    (0x9286, "comment", "Comment written into the photo"),
    (0xA430, "author", "Camera owner's name"),
    (0xA431, "serial", "Camera serial number"),
    (0xA435, "serial", "Lens serial number"),
    (0xA433, "camera", "Lens make"),
    (0xA434, "camera", "Lens model"),
    (0xA420, "serial", "Unique photo ID"),
    (0x927C, "other", "Camera maker's private notes"),
]
_PNG_TEXT_KINDS = {
    "author": "author",
    "copyright": "author",
    "comment": "comment",
    "description": "comment",
    "title": "comment",
    "software": "software",
    "creation time": "datetime",
    "source": "camera",
}
_XMP_GPS = re.compile(rb"GPS(?:Latitude|Longitude)\W{0,3}[\"'>]?\s*([0-9.,\-]+[NSEW]?)", re.I)
_XMP_AUTHOR = re.compile(rb"<dc:creator>.*?<rdf:li[^>]*>([^<]{1,200})<", re.S | re.I)
_XMP_PLACE = re.compile(
    rb"(?:photoshop:City|Iptc4xmpCore:Location|photoshop:State)\s*(?:=\s*\"([^\"]{1,100})\"|>([^<]{1,100})<)"
)
_IPTC = {
    (2, 80): ("author", "Photographer's name (IPTC)"),
    (2, 116): ("author", "Copyright (IPTC)"),
    (2, 90): ("gps", "Town or city written into the photo (IPTC)"),
    (2, 92): ("gps", "Place written into the photo (IPTC)"),
    (2, 95): ("gps", "Region written into the photo (IPTC)"),
    (2, 101): ("gps", "Country written into the photo (IPTC)"),
    (2, 120): ("comment", "Caption written into the photo (IPTC)"),
    (2, 25): ("comment", "Keywords (IPTC)"),
    (2, 55): ("datetime", "Date created (IPTC)"),
}


def short(value: Any) -> str:
    """A short, printable version of a metadata value, safe to show."""
    if isinstance(value, bytes):
        if value.startswith((b"ASCII\x00\x00\x00", b"UNICODE\x00")):
            codec = "ascii" if value.startswith(b"ASCII") else "utf-16"
            value = value[8:].decode(codec, "replace")
        elif len(value) > 2 and value[1:2] == b"\x00":  # Windows XP* tags: UTF-16-LE
            value = value.decode("utf-16-le", "replace")
        else:
            value = value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        value = ", ".join(short(v) for v in value[:5])
    text = _CONTROL.sub(" ", str(value)).replace("\ufffd", "").strip()
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _guard(items: list[MetadataItem], reader: Callable[[], None]) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader()
    except Exception:  # corrupt metadata is reported as such, never raised
        items.append(
            MetadataItem("other", "Damaged metadata (it will be removed)", "unreadable", False)
        )


def _degrees(value: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in value)
        deg = d + m / 60 + s / 3600
    except Exception:
        try:
            deg = float(value)
        except Exception:
            return None
    if deg != deg or abs(deg) > 180:  # NaN or nonsense
        return None
    if short(ref).upper().startswith(("S", "W")):
        deg = -deg
    return deg


def _exif_items(image: Image.Image, items: list[MetadataItem]) -> None:
    exif = image.getexif()
    if not exif:
        return
    for tag, kind, label in _IFD0:
        if tag in exif and short(exif[tag]):
            items.append(MetadataItem(kind, label, short(exif[tag]), False))
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    for tag, kind, label in _EXIF:
        if tag in sub and (tag == 0x927C or short(sub[tag])):
            value = "present" if tag == 0x927C else short(sub[tag])
            items.append(MetadataItem(kind, label, value, False))
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        lat = _degrees(gps.get(2), gps.get(1))
        lon = _degrees(gps.get(4), gps.get(3))
        value = f"{lat:.2f}, {lon:.2f}" if lat is not None and lon is not None else "present"
        items.append(MetadataItem("gps", "GPS position (where the photo was taken)", value, True))
    thumb = exif.get_ifd(ExifTags.IFD.IFD1)
    if thumb and (0x0201 in thumb or 0x0111 in thumb):
        size = thumb.get(0x0202)
        value = f"{int(size) // 1024 + 1} KB" if isinstance(size, int) else "present"
        items.append(
            MetadataItem(
                "thumbnail", "Small preview copy (may show the photo before cropping)", value, False
            )
        )


def _xmp_items(xmp: Any, items: list[MetadataItem]) -> None:
    raw = xmp.encode("utf-8", "replace") if isinstance(xmp, str) else bytes(xmp)
    items.append(
        MetadataItem("xmp", "XMP data (editing history and tags)", f"{len(raw)} bytes", False)
    )
    gps = _XMP_GPS.findall(raw)
    if gps:
        value = ", ".join(short(g) for g in gps[:2])
        items.append(MetadataItem("gps", "GPS position in the XMP data", value, True))
    author = _XMP_AUTHOR.search(raw)
    if author:
        items.append(
            MetadataItem("author", "Author in the XMP data", short(author.group(1)), False)
        )
    place = _XMP_PLACE.search(raw)
    if place:
        value = short(place.group(1) or place.group(2))
        items.append(MetadataItem("gps", "Place name in the XMP data", value, True))
    if b"MotionPhoto" in raw or b"MicroVideo" in raw:
        items.append(MetadataItem("other", "A short video attached to the photo", "present", False))


def _iptc_items(image: Image.Image, items: list[MetadataItem]) -> None:
    info = IptcImagePlugin.getiptcinfo(image)  # type: ignore[arg-type]
    if not info:
        return
    items.append(
        MetadataItem("iptc", "IPTC data (captions and credits)", f"{len(info)} fields", False)
    )
    for key, (kind, label) in _IPTC.items():
        if key in info and short(info[key]):
            items.append(MetadataItem(kind, label, short(info[key]), kind == "gps"))


def _text_chunks(image: Image.Image, items: list[MetadataItem]) -> None:
    text = getattr(image, "text", None) or {}
    for key, value in text.items():
        if key == "XML:com.adobe.xmp":
            continue
        kind = _PNG_TEXT_KINDS.get(str(key).lower(), "comment")
        items.append(
            MetadataItem(kind, f"Text written into the file ({short(key)})", short(value), False)
        )


def read_metadata(data: bytes) -> list[MetadataItem]:
    """Everything the photo carries besides pixels, in plain English. Never raises:
    unreadable metadata is reported as "Damaged metadata", a non-photo gives []."""
    items: list[MetadataItem] = []
    try:
        kind = sniff(bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            formats = ("JPEG", "MPO") if kind == "JPEG" else (kind,)
            image = Image.open(io.BytesIO(bytes(data)), formats=formats)
    except (PhotoRejected, Exception):
        return items
    if image.format not in ACCEPTED:
        return items
    info = image.info
    _guard(items, lambda: _exif_items(image, items))
    if info.get("xmp"):
        _guard(items, lambda: _xmp_items(info["xmp"], items))
    if image.format in ("JPEG", "MPO"):
        _guard(items, lambda: _iptc_items(image, items))
    if info.get("icc_profile"):
        items.append(
            MetadataItem("icc", "Colour profile", f"{len(info['icc_profile'])} bytes", False)
        )
    for key in ("comment",):
        if info.get(key):
            items.append(
                MetadataItem("comment", "Comment written into the file", short(info[key]), False)
            )
    if image.format == "PNG":
        _guard(items, lambda: _text_chunks(image, items))
    if image.format == "MPO":
        items.append(MetadataItem("other", "Extra pictures stored in the file", "present", False))
    return _dedupe(items)


def _dedupe(items: list[MetadataItem]) -> list[MetadataItem]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for item in items:
        key = (item.kind, item.label, item.value)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
