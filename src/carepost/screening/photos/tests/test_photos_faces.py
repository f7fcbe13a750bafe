"""Faces: found in oriented full-size coordinates, and irreversibly obscured."""

from __future__ import annotations

import io
import os

import cv2
import numpy as np
from PIL import Image

from carepost.screening.photos import Box, detect_faces, inspect, load, render_clean
from carepost.screening.photos import faces as face_module

from . import samples


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def test_telemetry_is_off_and_the_session_is_cpu_only_with_one_thread():
    assert os.environ["ORT_DISABLE_TELEMETRY"] == "1"
    session = face_module.detector().sess
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert session.get_session_options().intra_op_num_threads == 1
    assert [i.shape for i in session.get_inputs()] == [["B", 3, "H", "W"]]


def test_the_astronauts_face_is_found_and_the_cat_is_not():
    (face,) = detect_faces(astronaut())
    assert 160 <= face.x <= 200 and 40 <= face.y <= 80 and 70 <= face.w <= 120
    from skimage import data

    assert detect_faces(Image.fromarray(data.chelsea())) == []


def test_boxes_are_in_oriented_full_size_coordinates():
    scene = Image.new("RGB", (1600, 1200), (90, 110, 90))
    scene.paste(astronaut(), (900, 500))  # face at about (1080, 560) when displayed
    stored = scene.transpose(Image.Transpose.ROTATE_90)  # as a phone held sideways stores it
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(out, "JPEG", quality=92, exif=exif)
    report = inspect(out.getvalue(), ocr=False)
    assert (report.width, report.height) == (1600, 1200)
    (face,) = report.faces
    assert abs(face.x - 1080) < 30 and abs(face.y - 560) < 30
    (finding,) = [f for f in report.findings if f["check"] == "face"]
    assert finding["box"] == {"x": face.x, "y": face.y, "w": face.w, "h": face.h}
    assert finding["action"] == "review" and finding["source"] == "image"


def high_frequency(pixels: np.ndarray) -> float:
    grey = pixels.astype(np.float64).mean(axis=2)
    lap = grey[1:-1, 1:-1] * 4 - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    return float(np.mean(np.abs(lap)))


def test_an_obscured_face_cannot_be_recovered():
    data = samples.jpeg(astronaut(), quality=92)
    (face,) = detect_faces(load(data))
    clean, _ = render_clean(data, blur=[face])
    assert detect_faces(load(clean)) == []
    before = np.asarray(load(data))[face.y : face.y + face.h, face.x : face.x + face.w]
    after = np.asarray(load(clean))[face.y : face.y + face.h, face.x : face.x + face.w]
    diff = np.abs(before.astype(np.int16) - after.astype(np.int16)).mean()
    assert diff > 25, diff
    grey_before = before.mean(axis=2) - before.mean(axis=2).mean()
    grey_after = after.mean(axis=2) - after.mean(axis=2).mean()
    # structure is gone: the Laplacian energy (detail) collapses ...
    assert high_frequency(after) < 0.1 * high_frequency(before)
    # ... and what is left barely correlates with the face (no pattern to invert)
    corr = float((grey_before * grey_after).sum()) / float(
        np.sqrt((grey_before**2).sum() * (grey_after**2).sum())
    )
    assert corr < 0.6, corr
    detail_before = grey_before - cv2.GaussianBlur(grey_before, (0, 0), 3)
    detail_after = grey_after - cv2.GaussianBlur(grey_after, (0, 0), 3)
    detail_corr = float((detail_before * detail_after).sum()) / float(
        np.sqrt((detail_before**2).sum() * (detail_after**2).sum())
    )
    assert detail_corr < 0.3, detail_corr
    # outside the enlarged box the photo is unchanged (up to JPEG noise)
    far = np.abs(
        np.asarray(load(data))[400:, 400:].astype(np.int16)
        - np.asarray(load(clean))[400:, 400:].astype(np.int16)
    )
    assert far.mean() < 4


def test_obscuring_scales_boxes_to_a_shrunk_copy():
    data = samples.jpeg(astronaut(), quality=92)
    (face,) = detect_faces(load(data))
    clean, _ = render_clean(data, blur=[face], max_side=256)
    image = load(clean)
    assert image.size == (256, 256)
    assert detect_faces(image.resize((512, 512))) == []


def test_boxes_at_the_edge_or_outside_do_not_crash():
    data = samples.jpeg(samples.picture((100, 80)))
    for box in (Box(-50, -50, 80, 80), Box(90, 70, 500, 500), Box(0, 0, 1, 1), Box(200, 200, 5, 5)):
        clean, _ = render_clean(data, blur=[box])
        assert load(clean).size == (100, 80)
