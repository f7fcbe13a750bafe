"""Small generated photos carrying every kind of metadata (for tests and the benchmark)."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, ImageCms, ImageDraw

SECRET = "Jane Carer"  # a name hidden in every metadata field; must never survive
GPS = {1: "N", 2: (55.0, 57.0, 12.5), 3: "W", 4: (3.0, 11.0, 24.0), 5: 0, 6: 42.0}
XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" exif:GPSLatitude="55,57.2N" '
    'exif:GPSLongitude="3,11.4W" photoshop:City="Barrhead">'
    f"<dc:creator><rdf:Seq><rdf:li>{SECRET}</rdf:li></rdf:Seq></dc:creator>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def picture(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """A picture whose orientation can be checked: red top-left corner, blue elsewhere."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack(
        [(xx * 255 // max(1, w - 1)), (yy * 255 // max(1, h - 1)), np.full_like(xx, 160)], -1
    )
    image = Image.fromarray(arr.astype(np.uint8), "RGB")
    ImageDraw.Draw(image).rectangle((0, 0, w // 4, h // 4), fill=(255, 0, 0))
    return image


def exif(orientation: int = 1) -> Image.Exif:
    data = Image.Exif()
    data[0x010F] = "Acme Phones"
    data[0x0110] = "Acme 12 Pro"
    data[0x0131] = "Acme Camera 1.0"
    data[0x013B] = SECRET
    data[0x0132] = "2024:05:01 14:02:11"
    data[0x0112] = orientation
    data[ExifTags.IFD.Exif] = {
        0x9003: "2024:05:01 14:02:11",
        0xA431: "SN-0042-7781",
        0xA430: SECRET,
        0x9286: b"ASCII\x00\x00\x00" + f"Taken by {SECRET}".encode(),
    }
    data[ExifTags.IFD.GPSInfo] = GPS
    return data


def iptc_segment() -> bytes:
    """A JPEG APP13 (Photoshop 3.0 / 8BIM 0x0404) segment with an IPTC by-line and city."""
    records = b""
    for dataset, value in ((80, SECRET.encode()), (90, b"Barrhead"), (120, b"Caption: Oak Lodge")):
        records += b"\x1c\x02" + bytes([dataset]) + struct.pack(">H", len(value)) + value
    if len(records) % 2:
        records += b"\x00"
    block = (
        b"8BIM"
        + struct.pack(">H", 0x0404)
        + b"\x00\x00"
        + struct.pack(">I", len(records))
        + records
    )
    payload = b"Photoshop 3.0\x00" + block
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_with_everything(
    size: tuple[int, int] = (400, 300), orientation: int = 6, *, thumbnail: bool = True
) -> bytes:
    """JPEG with EXIF (GPS, serial, owner, dates, orientation), XMP with GPS, IPTC, ICC,
    a COM comment, an EXIF thumbnail (via exiftool when present) and trailing bytes."""
    out = io.BytesIO()
    picture(size).save(
        out,
        "JPEG",
        quality=90,
        exif=exif(orientation),
        xmp=XMP.encode(),
        icc_profile=icc(),
        comment=f"Comment by {SECRET}",
    )
    data = out.getvalue()
    data = data[:2] + iptc_segment() + data[2:]
    if thumbnail and shutil.which("exiftool"):
        data = add_thumbnail(data)
    return data + b"\x00\x00\x00\x18ftypmp42 motion photo video by " + SECRET.encode()


def add_thumbnail(data: bytes) -> bytes:
    thumb = io.BytesIO()
    picture((160, 120)).save(thumb, "JPEG")
    with tempfile.TemporaryDirectory() as tmp:
        src, th = Path(tmp, "p.jpg"), Path(tmp, "t.jpg")
        src.write_bytes(data)
        th.write_bytes(thumb.getvalue())
        subprocess.run(  # noqa: S603
            ["exiftool", "-q", "-overwrite_original", f"-ThumbnailImage<={th}", str(src)],  # noqa: S607
            check=True,
            capture_output=True,
        )
        return src.read_bytes()


def png_with_chunks(size: tuple[int, int] = (300, 200)) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", SECRET)
    info.add_text("Comment", f"Comment by {SECRET}", zip=True)  # zTXt
    info.add_itxt("Description", f"Described by {SECRET}", lang="en")
    info.add_itxt("XML:com.adobe.xmp", XMP)
    out = io.BytesIO()
    picture(size).save(out, "PNG", pnginfo=info, exif=exif(1), icc_profile=icc())
    return out.getvalue()


def webp_with_metadata(size: tuple[int, int] = (300, 200)) -> bytes:
    out = io.BytesIO()
    picture(size).save(out, "WEBP", exif=exif(1), xmp=XMP.encode(), icc_profile=icc(), quality=80)
    return out.getvalue()


def heic(size: tuple[int, int] = (400, 300), orientation: int = 6) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    picture(size).save(out, "HEIF", exif=exif(orientation), xmp=XMP.encode(), quality=80)
    return out.getvalue()


def animated_gif(frames: int = 3, size: tuple[int, int] = (64, 48)) -> bytes:
    images = [Image.new("RGB", size, (40 * i, 90, 200)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
