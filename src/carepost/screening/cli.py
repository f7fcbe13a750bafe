"""The ``carepost`` command line: ``carepost screen ...`` (more subcommands can be added).

carepost screen [--register FILE.csv] [--policy FILE.toml] [--json] TEXT
carepost screen --register FILE.csv --jsonl POSTS.jsonl      # one JSON line per post
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

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
    if args.text is None:
        sys.stderr.write("carepost screen: give TEXT or --jsonl FILE\n")
        return 2
    report = screen(args.text, register=register, policy=policy)
    if args.json:
        out.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
    else:
        _readable(report, out)
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
    p.set_defaults(handler=_cmd_screen)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace, TextIO], int] = args.handler
    return handler(args, out or sys.stdout)


if __name__ == "__main__":
    sys.exit(main())
