"""confidential: incidents, accidents, complaints, police, children's hearings, court,
safeguarding, staff discipline, data breaches and the details of a person's care.

Terms and context patterns are in ``data/confidential.toml``. Two rules need the rest of
the analysis: a register person's NHS or CHI number next to a health detail is a care
record, and "<violent verb> <register person>" ("Frank hit Sandy") is an incident.
"""

from __future__ import annotations

from typing import Final

from ..findings import Finding, make_finding
from ..rules import load_lexicon
from ..text import Doc

VIOLENT: Final = frozenset(
    [
        "hit",
        "punched",
        "kicked",
        "slapped",
        "bit",
        "scratched",
        "pushed",
        "attacked",
        "assaulted",
        "headbutted",
    ]
)


def check_confidential(doc: Doc, register: object = None) -> list[Finding]:
    lexicon = load_lexicon("confidential.toml", leet=False)
    spans: list[tuple[str, int, int]] = [(h.category, h.start, h.end) for h in lexicon.find(doc)]
    tokens = doc.tokens
    for mention in doc.mentions:
        k = mention.first_token
        if k > 0 and tokens[k - 1].key in VIOLENT and tokens[k - 1].sentence == tokens[k].sentence:
            spans.append(("incident", tokens[k - 1].start, mention.end))
    health_ids = [p for p in doc.personal if p[0] in ("nhs_number", "chi_number")]
    if health_ids and doc.mentions:
        special = load_lexicon("special_category.toml", leet=False)
        health = [
            h for h in special.find(doc) if h.category in ("health", "diagnosis", "medication")
        ]
        if health:
            _kind, s, e = health_ids[0]
            spans.append(("care_record", s, e))
    if not spans:
        return []
    findings: list[Finding] = []
    spans.sort(key=lambda x: (x[1], -x[2]))
    last_end = -1
    for category_name, s, e in spans:
        if s < last_end:
            continue
        last_end = e
        category = lexicon.categories[category_name]
        start, end, text = doc.orig(s, e)
        findings.append(
            make_finding(
                "confidential",
                f"confidential.{category.name}",
                category.action,
                start,
                end,
                text,
                f"Confidential ({category.label}). This must not be published; record it "
                "through the proper channel instead.",
            )
        )
    return findings
