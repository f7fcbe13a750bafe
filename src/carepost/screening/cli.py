"""The ``carepost`` command line.

carepost screen [--register FILE.csv] [--policy FILE.toml] [--json] TEXT
carepost screen --register FILE.csv --jsonl POSTS.jsonl      # one JSON line per post
carepost screen --image PHOTO [--image PHOTO ...] [--register FILE.csv] [--json] [TEXT]
carepost redact PHOTO --out OUT.jpg [--blur-all-faces]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .engine import screen
from .findings import Report
from .policy import Policy, PolicyError
from .register import Register


def _load(args: argparse.Namespace) -> tuple[Register, Policy]:
    register = Register.from_csv(args.register) if args.register else Register.empty()
    policy = Policy.from_toml(args.policy) if args.policy else Policy.default()
    return register, policy


def _readable(report: Report, out: TextIO) -> None:
    out.write(f"verdict: {report.verdict}\n")
    if not report.findings:
        out.write("no findings\n")
    for f in report.findings:
        who = f" [{f.person_id}]" if f.person_id else (f" [{f.kind}]" if f.kind else "")
        out.write(
            f"- {f.action.upper():6} {f.code}{who} at {f.start}-{f.end} {f.text!r}\n"
            f"    {f.message}\n"
        )


def _cmd_screen(args: argparse.Namespace, out: TextIO) -> int:
    try:
        register, policy = _load(args)
    except (OSError, ValueError, PolicyError) as error:
        sys.stderr.write(f"carepost screen: {error}\n")
        return 2
    if args.jsonl:
        source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")  # noqa: SIM115
        with source:
            for number, line in enumerate(source, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    row = json.loads(line)
                    text = row["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as error:
                    sys.stderr.write(f"{args.jsonl}:{number}: skipped: {error}\n")
                    continue
                report = screen(str(text), register=register, policy=policy)
                payload = {"id": row.get("id"), **report.to_dict()}
                out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return 0
    if args.image:
        return _screen_with_images(args, register, policy, out)
    if args.text is None:
        sys.stderr.write("carepost screen: give TEXT, --image PHOTO or --jsonl FILE\n")
        return 2
    report = screen(args.text, register=register, policy=policy)
    if args.json:
        out.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        _readable(report, out)
    return 0


def _read_photo(command: str, path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as error:
        sys.stderr.write(f"carepost {command}: {path}: cannot read the file ({error.strerror})\n")
        return None


def _screen_with_images(
    args: argparse.Namespace, register: Register, policy: Policy, out: TextIO
) -> int:
    """TEXT (optional) plus photo findings: metadata, faces, and the text checks on the
    text read in each photo ("source": "image", "image": the path)."""
    from .photos import PhotoRejected, inspect

    findings: list[dict[str, Any]] = []
    images: list[dict[str, Any]] = []
    actions: list[str] = []
    if args.text is not None:
        report = screen(args.text, register=register, policy=policy)
        findings += [f.to_dict() for f in report.findings]
        actions += [f.action for f in report.findings]
    for path in args.image:
        data = _read_photo("screen", path)
        if data is None:
            return 2
        try:
            photo = inspect(data, register=register, policy=policy)
        except PhotoRejected as error:
            sys.stderr.write(f"carepost screen: {path}: {error.message}\n")
            return 2
        images.append(
            {
                "image": str(path),
                "format": photo.format,
                "width": photo.width,
                "height": photo.height,
                "frames": photo.frames,
                "notes": photo.notes,
                "faces": len(photo.faces),
                "text": [line.text for line in photo.text],
            }
        )
        for finding in photo.findings:
            findings.append({**finding, "image": str(path)})
            actions.append(finding["action"])
    verdict = "block" if "block" in actions else ("review" if "review" in actions else "pass")
    if args.json:
        payload = {"verdict": verdict, "findings": findings, "images": images}
        out.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return 0
    out.write(f"verdict: {verdict}\n")
    for image in images:
        notes = "".join(f"\n    {note}" for note in image["notes"])
        out.write(
            f"photo {image['image']}: {image['format']} {image['width']}x{image['height']}, "
            f"{image['faces']} face(s){notes}\n"
        )
    if not findings:
        out.write("no findings\n")
    for f in findings:
        where = f" in {f['image']}" if "image" in f else ""
        box = f" at {f['box']}" if "box" in f else ""
        out.write(
            f"- {f['action'].upper():6} {f['code']}{where}{box} {f['text']!r}\n    {f['message']}\n"
        )
    return 0


def _cmd_redact(args: argparse.Namespace, out: TextIO) -> int:
    """Write a clean copy: all metadata removed, orientation applied, optionally every
    detected face obscured."""
    from .photos import PhotoRejected, inspect, render_clean

    data = _read_photo("redact", args.photo)
    if data is None:
        return 2
    try:
        report = inspect(data, faces=args.blur_all_faces, ocr=False)
        clean, content_type = render_clean(data, blur=report.faces, max_side=args.max_side)
    except PhotoRejected as error:
        sys.stderr.write(f"carepost redact: {args.photo}: {error.message}\n")
        return 2
    try:
        args.out.write_bytes(clean)
    except OSError as error:
        sys.stderr.write(f"carepost redact: {args.out}: cannot write ({error.strerror})\n")
        return 2
    removed = sorted({item.label for item in report.metadata})
    out.write(f"wrote {args.out} ({content_type}, {len(clean)} bytes)\n")
    out.write(f"read {report.format} {report.width}x{report.height}; orientation applied\n")
    for note in report.notes:
        out.write(f"{note}\n")
    if removed:
        out.write("removed metadata:\n" + "".join(f"  - {label}\n" for label in removed))
    else:
        out.write("removed metadata: none found (the copy is re-encoded without any)\n")
    if args.blur_all_faces:
        out.write(f"obscured {len(report.faces)} face(s)\n")
        for box in report.faces:
            out.write(f"  - x={box.x} y={box.y} w={box.w} h={box.h}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carepost", description="Carepost tools (offline).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("screen", help="screen text for risks before publishing")
    p.add_argument("text", nargs="?", metavar="TEXT", help="the text to screen")
    p.add_argument(
        "--register",
        type=Path,
        metavar="FILE.csv",
        help="people supported: id,full_name,preferred_name,aliases,service",
    )
    p.add_argument("--policy", type=Path, metavar="FILE", help="organisation policy (TOML)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--jsonl",
        metavar="POSTS.jsonl",
        help="screen every line {id, text}; print one JSON line per post ('-' = stdin)",
    )
    p.add_argument(
        "--image",
        type=Path,
        action="append",
        metavar="PHOTO",
        help="also check a photo: metadata, faces, text in the picture (repeatable)",
    )
    p.set_defaults(handler=_cmd_screen)
    r = sub.add_parser("redact", help="write a clean copy of a photo for publishing")
    r.add_argument("photo", type=Path, metavar="PHOTO")
    r.add_argument("--out", type=Path, required=True, metavar="OUT.jpg", help="where to write")
    r.add_argument(
        "--blur-all-faces", action="store_true", help="obscure every face the detector finds"
    )
    r.add_argument(
        "--max-side", type=int, default=None, metavar="PX", help="shrink the long side to PX"
    )
    r.set_defaults(handler=_cmd_redact)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    return handler(args, out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
