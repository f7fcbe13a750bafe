"""unknown_name: probable names of people who are not on the register (review, never block).

A capitalised given name (from a list of given names, not an ordinary English word)
followed by a capitalised surname, or a title ("Mrs", "Dr") followed by a capitalised
word, is a probable full name; a given name alone is reported as a warning.
"""

from __future__ import annotations

from typing import Final

from ..findings import Finding, make_finding
from ..lexicon import english_words, given_names
from ..register import TITLES, Register
from ..text import TITLE, UPPER, Doc

EXTRA_TITLES: Final = frozenset(
    (
        "father",
        "sister",
        "brother",
        "rev",
        "reverend",
        "professor",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "councillor",
        "cllr",
        "nurse",
        "uncle",
        "auntie",
        "aunt",
    )
)


_MONTHS_AND_DAYS: Final = (
    "january february march april may june july august september october november december",
    "monday tuesday wednesday thursday friday saturday sunday christmas easter",
)
NOT_NAMES: Final = frozenset(word for line in _MONTHS_AND_DAYS for word in line.split())


def check_unknown_names(doc: Doc, register: Register) -> list[Finding]:
    tokens = doc.tokens
    if not tokens:
        return []
    covered: set[int] = set()
    for m in doc.mentions:
        covered.update(range(m.first_token, m.last_token + 1))
    names = given_names()
    common = english_words()
    findings: list[Finding] = []
    n = len(tokens)
    next_free = 0
    shapes = doc.token_shapes()
    for i in range(n):
        if shapes[i] != TITLE or i < next_free:  # only capitalised words can start a name
            continue
        tok = tokens[i]
        if i in covered or tok.tag:
            continue
        key = tok.key
        is_title = key in TITLES or key in EXTRA_TITLES
        is_given = (
            key in names
            and key not in common
            and key not in NOT_NAMES
            and key not in register.service_tokens
        )
        if not (is_title or is_given):
            continue
        j = i
        while (
            j + 1 < n
            and j + 1 not in covered
            and tokens[j + 1].shape in (TITLE, UPPER)
            and not tokens[j + 1].initial
            and doc.norm[tokens[j].end : tokens[j + 1].start] in (" ", "-", "'")
            and tokens[j + 1].key not in register.service_tokens
            and j - i < 3
        ):
            j += 1
        if is_title and j == i:
            continue
        if (
            j > i
            and all(
                tokens[k].key in common and tokens[k].key not in names for k in range(i + 1, j + 1)
            )
            and not is_title
        ):
            j = i
        start, end, text = doc.orig(tok.start, tokens[j].end)
        if j > i:
            findings.append(
                make_finding(
                    "unknown_name",
                    "unknown_name.full_name",
                    "review",
                    start,
                    end,
                    text,
                    "Looks like a person's full name that is not on the register. "
                    "Staff, volunteers and visitors need consent to be named too.",
                )
            )
        else:
            findings.append(
                make_finding(
                    "unknown_name",
                    "unknown_name.first_name",
                    "warn",
                    start,
                    end,
                    text,
                    "Looks like a first name of someone not on the register.",
                )
            )
        next_free = j + 1
    return findings
