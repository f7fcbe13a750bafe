"""voice: personal opinion written in the organisation's voice (a warning only)."""

from __future__ import annotations

import re
from typing import Final

from ..findings import Finding, make_finding
from ..prefilter import gate, lowercase_twin
from ..text import Doc

OPINION: Final = re.compile(
    r"\b(?:i (?:personally )?(?:think|believe|feel|reckon|guess|suppose)|in my (?:humble )?"
    r"(?:opinion|view)|personally,?|imo|imho|my (?:own )?(?:view|opinion|take) is|"
    r"if you ask me|i'm of the view|i am of the view|speaking for myself)\b",
    re.IGNORECASE,
)

_OPINION: Final = gate(OPINION)
_OPINION_FOLD: Final = lowercase_twin(OPINION)  # the same matches on the lower-case fold


def check_voice(doc: Doc) -> list[Finding]:
    findings: list[Finding] = []
    if not _OPINION.maybe(doc):
        return findings
    for m in _OPINION_FOLD.finditer(doc.fold):
        start, end, text = doc.orig(*m.span())
        findings.append(
            make_finding(
                "voice",
                "voice.personal_opinion",
                "warn",
                start,
                end,
                text,
                "Personal opinion. Posts speak for the organisation: keep to facts, or say "
                "whose view it is.",
            )
        )
    return findings
