"""Findings and reports: the values the screening engine returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from functools import partial
from typing import Any, Literal

from .scan import load

Action = Literal["block", "review", "warn"]
Verdict = Literal["block", "review", "pass"]

ACTIONS: tuple[str, ...] = ("block", "review", "warn")
_RANK = {"block": 3, "review": 2, "warn": 1}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found, with offsets into the ORIGINAL text (``text[start:end]``)."""

    check: str
    code: str
    action: str
    start: int
    end: int
    text: str
    message: str
    person_id: str | None = None
    kind: str | None = None
    source: str = "text"

    def to_dict(self) -> dict[str, Any]:
        """The CLI's JSON keys: person_id only for person findings, kind only for personal data."""
        out: dict[str, Any] = {
            "check": self.check,
            "code": self.code,
            "action": self.action,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "message": self.message,
        }
        if self.check == "person":
            out["person_id"] = self.person_id
        if self.check == "personal_data":
            out["kind"] = self.kind
        if self.source != "text":
            out["source"] = self.source
        return out


_new = object.__new__
(
    _set_check,
    _set_code,
    _set_action,
    _set_start,
    _set_end,
    _set_text,
    _set_message,
    _set_person_id,
    _set_kind,
    _set_source,
) = (
    Finding.__dict__[name].__set__
    for name in (
        "check",
        "code",
        "action",
        "start",
        "end",
        "text",
        "message",
        "person_id",
        "kind",
        "source",
    )
)


def new_finding(
    check: str,
    code: str,
    action: str,
    start: int,
    end: int,
    text: str,
    message: str,
    person_id: str | None = None,
    kind: str | None = None,
) -> Finding:
    """``Finding(...)`` for the engine's hot path: the same frozen object, built through
    the slot descriptors instead of the frozen dataclass's ``object.__setattr__`` calls
    (half the cost; the engine builds several findings per post)."""
    finding: Finding = _new(Finding)
    _set_check(finding, check)
    _set_code(finding, code)
    _set_action(finding, action)
    _set_start(finding, start)
    _set_end(finding, end)
    _set_text(finding, text)
    _set_message(finding, message)
    _set_person_id(finding, person_id)
    _set_kind(finding, kind)
    _set_source(finding, "text")
    return finding


def _native_builder() -> Callable[..., Finding]:
    """``new_finding`` for the engine, positional arguments only: the C builder
    (``_slots.c``) when it is built, which writes the slots directly, else
    ``new_finding`` itself."""
    native = load("_slots")
    if native is None:
        return new_finding
    names = tuple(f.name for f in fields(Finding))
    defaults = tuple(f.default for f in fields(Finding) if f.default is not MISSING)
    offsets = native.slot_offsets(Finding, names)
    built: Callable[..., Finding] = partial(native.build, Finding, offsets, defaults)
    return built


# make_finding(check, code, action, start, end, text, message[, person_id[, kind]])
make_finding: Callable[..., Finding] = _native_builder()


def verdict_of(findings: list[Finding]) -> Verdict:
    """block if any finding blocks, review if any asks for review, else pass (warnings pass)."""
    worst = 0
    for finding in findings:
        worst = max(worst, _RANK.get(finding.action, 0))
    if worst == 3:
        return "block"
    if worst == 2:
        return "review"
    return "pass"


@dataclass(frozen=True, slots=True)
class Report:
    """The result of screening one text."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.findings)

    def by_check(self, check: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.check == check]

    @property
    def person_ids(self) -> list[str]:
        """Sorted ids of the register people mentioned."""
        return sorted({f.person_id for f in self.findings if f.check == "person" and f.person_id})

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "findings": [f.to_dict() for f in self.findings]}
