"""special_category: health, diagnosis, disability, medication, mental health, religion,
sexuality or ethnicity about an identifiable person.

A term from ``data/special_category.toml`` is reported when its sentence is about an
identifiable person: it names somebody on the register, singles one person out ("our
eldest resident", "a tenant who..."), or continues with "he"/"she" after a sentence that
named somebody. General news ("Dementia Awareness Week", "Eid Mubarak to everyone") is
not reported.
"""

from __future__ import annotations

import re
from typing import Final

from ..findings import Finding, make_finding
from ..prefilter import gate, lowercase_twin
from ..rules import Hit, load_lexicon
from ..text import Doc

SINGLED_OUT: Final = re.compile(
    r"\b(?:our|a|one of our|the) (?:newest|new|eldest|oldest|youngest|latest|longest-serving|"
    r"longest serving)\s+(?:\w+\s+)?(?:resident|tenant|young person|service user|gentleman|lady|"
    r"man|woman|boy|girl|member|client|person)\b|"
    r"\b(?:a|one of our|our) (?:resident|tenant|young person|service user|gentleman|lady|client)s? "
    r"(?:who|whose|,)",
    re.IGNORECASE,
)
PRONOUN: Final = re.compile(r"\b(?:he|she|his|her|him|hers|himself|herself)\b", re.IGNORECASE)
_SINGLED_OUT: Final = gate(SINGLED_OUT)
_SINGLED_OUT_FOLD: Final = lowercase_twin(SINGLED_OUT)  # the same matches on the lower-case fold
_PRONOUN_FOLD: Final = lowercase_twin(PRONOUN)


def identifiable_sentences(doc: Doc) -> set[int]:
    """Sentences that are about an identifiable person."""
    named = {doc.tokens[m.first_token].sentence for m in doc.mentions}
    result = set(named)
    singled = _SINGLED_OUT_FOLD.finditer(doc.fold) if _SINGLED_OUT.maybe(doc) else ()
    for m in singled:
        result.add(doc.sentence_of_offset(m.start()))
    # clauses joined by a dash or colon belong together ("May Robertson, CHI ... - GP has asked")
    changed = True
    while changed:
        changed = False
        for index in doc.weak_starts:
            if (index in result) != (index - 1 in result):
                result.update((index, index - 1))
                changed = True
    if named:
        # a pronoun in a later sentence of the same post refers back to a named person
        first_named = min(named)
        for index in range(first_named + 1, len(doc.sentence_starts)):
            if index in result:
                continue
            start, end = doc.sentence_span(index)
            if _PRONOUN_FOLD.search(doc.fold, start, end):
                result.add(index)
    return result


def check_special_category(doc: Doc, register: object = None) -> list[Finding]:
    lexicon = load_lexicon("special_category.toml", leet=False)
    hits: list[Hit] = lexicon.find(doc)
    if not hits:
        return []
    about = identifiable_sentences(doc)
    if not about:
        return []
    findings: list[Finding] = []
    seen: set[tuple[int, int]] = set()
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if doc.sentence_of_offset(hit.start) not in about:
            continue
        if any(s <= hit.start and hit.end <= e for s, e in seen):
            continue
        seen.add((hit.start, hit.end))
        category = lexicon.categories[hit.category]
        start, end, text = doc.orig(hit.start, hit.end)
        findings.append(
            make_finding(
                "special_category",
                f"special_category.{category.name}",
                category.action,
                start,
                end,
                text,
                f"Reveals {category.label} information about someone who can be identified. "
                "This needs their explicit consent, or take it out.",
            )
        )
    return findings
