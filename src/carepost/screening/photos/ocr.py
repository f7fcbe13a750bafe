"""Text in photos: rapidocr 3.10 with its bundled PP-OCRv6 small models (Apache-2.0),
onnxruntime on the CPU, one thread, loaded lazily once per process.

rapidocr reads numpy input as **BGR** (OpenCV's order); PIL gives RGB, so we flip."""

from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported

import logging
import threading
from typing import Any

import numpy as np
from PIL import Image

from .types import Box, OcrLine

OCR_LONG_SIDE = 1600  # px: the copy OCR sees (names on badges stay legible)
DET_LONG_SIDE = 1280  # px: what the text detector sees
MIN_SCORE = 0.6  # rapidocr's own recognition confidence; below it lines are noise

_lock = threading.Lock()
_engine: Any = None


def _load() -> Any:
    from rapidocr import RapidOCR

    params = {
        "Global.log_level": "error",
        "Global.text_score": MIN_SCORE,
        "Global.max_side_len": OCR_LONG_SIDE,
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        # The text detector sees at most 1280 px; lines are then cut from the 1600 px copy
        # for recognition, so small names stay sharp.
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_LONG_SIDE,
        # The 0/180 degree angle classifier turned correctly oriented, slightly slanted
        # banners upside down (and lost them) on the evaluation set; photos are already
        # upright after EXIF orientation, so it is off.
        "Global.use_cls": False,
    }
    engine = RapidOCR(params=params)
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return engine


def engine() -> Any:
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _load()
    return _engine


def read_text(
    image: Image.Image,
    *,
    full_size: tuple[int, int] | None = None,
    long_side: int = OCR_LONG_SIDE,
) -> list[OcrLine]:
    """Lines of text in ``image`` (oriented PIL image), boxes in full-size coordinates
    (``full_size`` when ``image`` is already a downscaled copy), top to bottom."""
    from .loading import downscale

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = downscale(rgb, long_side)
    full_w, full_h = full_size or rgb.size
    sx, sy = full_w / small.width, full_h / small.height
    bgr = np.ascontiguousarray(np.asarray(small)[:, :, ::-1])
    result = engine()(bgr)
    if result is None or result.txts is None or result.boxes is None:
        return []
    lines = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        text = str(text).strip()
        if not text or float(score) < MIN_SCORE:
            continue
        pts = np.asarray(quad, dtype=np.float64).reshape(-1, 2)
        x0, y0 = max(0.0, pts[:, 0].min()), max(0.0, pts[:, 1].min())
        x1, y1 = pts[:, 0].max(), pts[:, 1].max()
        bx, by = round(x0 * sx), round(y0 * sy)
        box = Box(bx, by, max(1, round(x1 * sx) - bx), max(1, round(y1 * sy) - by), float(score))
        lines.append(OcrLine(text=text, box=box, score=round(float(score), 4)))
    lines.sort(key=lambda line: (line.box.y, line.box.x))
    return lines
