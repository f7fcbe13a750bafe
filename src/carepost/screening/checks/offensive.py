"""offensive: profanity, slurs, sexual content, insults, violence, drugs, gambling, extremism.

Uses the curated UK lexicon in ``data/offensive.toml`` (categories, whole words, stems,
context patterns, an allow-list of innocent words such as "Scunthorpe"). Every match
runs on the normalised text, so look-alike letters, zero-width characters, spaced-out
letters, leetspeak ("sh1t"), masking ("f*ck", "c**t") and stretched letters ("fuuuck")
are all caught.
"""

from __future__ import annotations

from typing import Final

from ..findings import Finding, make_finding
from ..rules import load_lexicon
from ..text import Doc

_SEVERITY: Final = {"block": 0, "review": 1, "warn": 2}


def check_offensive(doc: Doc, register: object = None) -> list[Finding]:
    lexicon = load_lexicon("offensive.toml")
    hits = lexicon.find(doc)
    if not hits:
        return []
    hits.sort(key=lambda h: (h.start, -h.end, _SEVERITY[lexicon.categories[h.category].action]))
    findings: list[Finding] = []
    last_end = -1
    for hit in hits:
        if hit.start < last_end:
            continue
        last_end = hit.end
        category = lexicon.categories[hit.category]
        start, end, text = doc.orig(hit.start, hit.end)
        findings.append(
            make_finding(
                "offensive",
                f"offensive.{category.name}",
                category.action,
                start,
                end,
                text,
                f"Offensive language ({category.label}). Posts must not contain it, even quoted.",
            )
        )
    return findings
