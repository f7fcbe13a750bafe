"""The analysis path's shortcuts give the same answers as the plain ones: orientation on
the small copy, padding instead of stretching, and the int8 face model."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from carepost.screening.photos import detect_faces, inspect
from carepost.screening.photos import faces as face_module
from carepost.screening.photos.loading import _TRANSPOSE, orient, shrink


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_matches_pillows_transposes(orientation):
    rng = np.random.default_rng(orientation)
    pixels = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
    expected = Image.fromarray(pixels)
    for op in _TRANSPOSE.get(orientation, ()):
        expected = expected.transpose(op)
    assert np.array_equal(orient(pixels, orientation), np.asarray(expected))


def test_shrink_keeps_small_pictures_and_the_aspect_ratio():
    pixels = np.zeros((300, 400, 3), np.uint8)
    assert shrink(pixels, 1664) is pixels
    assert shrink(pixels, 200).shape == (150, 200, 3)
    assert shrink(pixels, 100, fine=True).shape == (75, 100, 3)


def test_a_size_that_is_not_a_multiple_of_32_is_padded_not_stretched():
    # 470 x 500: the network sees 480 x 512 with black margins; the box must not move.
    cropped = astronaut().crop((0, 0, 470, 500))
    (whole,) = detect_faces(astronaut())
    (face,) = detect_faces(cropped)
    assert abs(face.x - whole.x) <= 4 and abs(face.y - whole.y) <= 4
    assert abs(face.w - whole.w) <= 6 and abs(face.h - whole.h) <= 6


def test_make_built_the_int8_model_from_the_installed_one_and_it_is_used():
    assert face_module.int8_model_path() == face_module.INT8_MODEL
    assert face_module.detector().carepost_model == "int8"


def test_the_int8_and_float_models_find_the_same_faces(monkeypatch):
    scene = Image.new("RGB", (1600, 1200), (120, 130, 110))
    face = astronaut().crop((150, 20, 290, 180))
    for x, scale in ((100, 1.0), (700, 0.6), (1200, 0.35)):
        small = face.resize((round(face.width * scale), round(face.height * scale)))
        scene.paste(small, (x, 400))
    out = io.BytesIO()
    scene.save(out, "JPEG", quality=92)
    int8 = inspect(out.getvalue(), ocr=False).faces
    monkeypatch.setenv("CAREPOST_FACE_MODEL", "float")
    monkeypatch.setattr(face_module, "_detector", None)
    floating = inspect(out.getvalue(), ocr=False).faces
    monkeypatch.setattr(face_module, "_detector", None)  # the next test loads int8 again
    assert len(int8) == len(floating) == 3
    for a, b in zip(int8, floating, strict=True):
        assert abs(a.x - b.x) <= 6 and abs(a.y - b.y) <= 6 and abs(a.w - b.w) <= 8


def test_a_stale_or_damaged_int8_model_is_not_used(tmp_path, monkeypatch):
    note = tmp_path / "centerface-int8.json"
    model = tmp_path / "centerface-int8.onnx"
    model.write_bytes(face_module.INT8_MODEL.read_bytes()[:1000])  # damaged
    note.write_text(face_module.INT8_NOTE.read_text())
    monkeypatch.setattr(face_module, "INT8_MODEL", model)
    monkeypatch.setattr(face_module, "INT8_NOTE", note)
    assert face_module.int8_model_path() is None
    assert face_module.model_bytes()[0] == "float"
    note.write_text("{not json")
    assert face_module.int8_model_path() is None
