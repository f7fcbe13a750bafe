"""Text in photos: OCR reads a rendered name, and the text checks flag it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from carepost.screening import screen
from carepost.screening.photos import inspect, read_text
from carepost.screening.photos.inspect import text_findings
from carepost.screening.photos.plates import find_plates
from carepost.screening.photos.types import Box, OcrLine

from . import samples


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    return (
        ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size=size)
    )


def badge(lines: list[str], angle: float = 4) -> bytes:
    scene = samples.picture((900, 600))
    card = Image.new("RGB", (560, 60 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(card)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 70 * i), line, fill=(10, 10, 90), font=font(44))
    scene.paste(
        card.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=(120, 120, 160)),
        (150, 150),
    )
    return samples.jpeg(scene, quality=92)


def test_ocr_reads_a_rendered_name_and_the_person_check_flags_it(photo_register):
    report = inspect(
        badge(["Hello, my name is", "JAMAL AHMED"]), register=photo_register, faces=False
    )
    assert any("JAMAL AHMED" in line.text.upper() for line in report.text)
    person = [f for f in report.findings if f["check"] == "person"]
    assert person and person[0]["person_id"] == "P05"
    assert person[0]["source"] == "image"
    box = person[0]["box"]
    assert 100 < box["x"] < 500 and 150 < box["y"] < 500


def test_numpy_input_is_given_to_rapidocr_as_bgr():
    # red text on blue: in the wrong channel order the contrast is lost
    lines = read_text(Image.open(__import__("io").BytesIO(badge(["ROSE McALLISTER"]))))
    assert any("ROSE" in line.text.upper() for line in lines)


def test_a_name_split_over_two_badge_lines_is_still_one_name(photo_register):
    lines = [
        OcrLine("Rose Catherine", Box(10, 10, 200, 40), 0.9),
        OcrLine("McAllister", Box(10, 60, 200, 40), 0.9),
    ]
    findings = text_findings(lines, register=photo_register)
    person = [f for f in findings if f["check"] == "person"]
    assert person[0]["person_id"] == "P01"
    assert person[0]["box"] == {"x": 10, "y": 10, "w": 200, "h": 90}


@pytest.mark.parametrize("plate", ["SK19 XYZ", "AB12CDE", "LV70 ABZ", "A123 BCD", "ABC 123D"])
def test_uk_number_plates_in_ocr_text_are_personal_data(plate):
    (finding,) = find_plates(f"Parked outside: {plate}.")
    assert finding.kind == "vehicle_registration" and finding.check == "personal_data"
    assert finding.to_dict()["kind"] == "vehicle_registration"
    assert finding.to_dict()["source"] == "image"


@pytest.mark.parametrize(
    "text", ["ROOM 12", "G78 1QQ", "COVID19", "AB12", "IQ12 ABC", "QQ12 ABC", "2024"]
)
def test_things_that_are_not_plates_are_left_alone(text):
    assert find_plates(text) == []


def test_plates_are_an_ocr_only_check_the_text_engine_is_unchanged():
    kinds = {f.kind for f in screen("Our minibus SK19 XYZ is back!").findings}
    assert "vehicle_registration" not in kinds


def test_plate_finding_from_ocr_lines_carries_the_box():
    findings = text_findings([OcrLine("SK19 XYZ", Box(5, 6, 70, 20), 0.95)])
    (plate,) = [f for f in findings if f.get("kind") == "vehicle_registration"]
    assert plate["box"] == {"x": 5, "y": 6, "w": 70, "h": 20} and plate["action"] == "review"
