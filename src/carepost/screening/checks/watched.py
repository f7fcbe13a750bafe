"""watched_term: the organisation's own words and phrases (from its policy).

A term whose category is a built-in check name (offensive, confidential, location,
special_category) is reported under that check, so an organisation extends the
built-in lexicons; any other category is reported as ``watched_term``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from ..findings import Finding, make_finding
from ..normalise import fold_text, leet_text, normalise
from ..text import Doc

if TYPE_CHECKING:
    from ..policy import WatchedTerm

EXTENDABLE: Final = ("offensive", "confidential", "location", "special_category")


def compile_terms(terms: Iterable[WatchedTerm]) -> Any:
    """An Aho-Corasick automaton over the folded terms (None when there are none)."""
    terms = list(terms)
    if not terms:
        return None
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for term in terms:
        key = " ".join(re.findall(r"[^\W_]+", leet_text(fold_text(normalise(term.term)[0]))))
        if not key:
            continue
        existing = automaton.get(key, ())
        automaton.add_word(key, (*existing, (term, len(key))))
    automaton.make_automaton()
    return automaton


def check_watched(doc: Doc, matcher: Any) -> list[Finding]:
    if matcher is None:
        return []
    # Words separated by single spaces, with a map back to the token offsets.
    words = doc.tokens
    if not words:
        return []
    line = " ".join(t.key for t in words)
    starts = []
    pos = 0
    for t in words:
        starts.append(pos)
        pos += len(t.key) + 1
    index = {s: k for k, s in enumerate(starts)}
    ends = {s + len(t.key): k for k, (s, t) in enumerate(zip(starts, words, strict=True))}
    findings = []
    for end_pos, terms in matcher.iter(line):
        for term, key_len in terms:
            s = end_pos - key_len + 1
            e = end_pos + 1
            if s not in index or e not in ends:
                continue
            first, last = words[index[s]], words[ends[e]]
            start, end, text = doc.orig(first.start, last.end)
            category = term.category
            check = category if category in EXTENDABLE else "watched_term"
            findings.append(
                make_finding(
                    check,
                    f"{check}.watched" if check != "watched_term" else f"watched_term.{category}",
                    term.action,
                    start,
                    end,
                    text,
                    f"Your organisation asks for a check of posts mentioning '{term.term}' "
                    f"({category}).",
                )
            )
    return findings
