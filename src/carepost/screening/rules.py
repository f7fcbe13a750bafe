"""A small lexicon engine shared by the offensive, special-category, confidential and
location checks.

A lexicon file (TOML) has categories; each category has ``words`` (whole words or
phrases), optional ``stems`` (offensive inside any word) and ``patterns`` (regular
expressions run only when one of their trigger words is in the post; ``negative =
true`` marks a pattern whose matches cancel the category's hits they overlap).

Words, phrases and stems go into one Aho-Corasick automaton matched over the post's
token line (" word word word "), so the cost per post does not grow with the lexicon.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Final

import ahocorasick

from .automaton import Automaton
from .normalise import fold_text, leet_text, normalise
from .prefilter import literal_ids, literals_present, lowercase_twin, required_literals
from .text import Doc

_WORD: Final = re.compile(r"[^\W_]+")
# A masked word: letters with * or # inside ("f*ck", "sh##"), or a run of them first
# ("**ck"). Written with the first character before the look-behind, which is the same
# as r"(?<![\w*#])[a-z]+(?:[*#]+[a-z]*)+(?![\w*#])|(?<![\w*#])[*#]+[a-z]{2,}[a-z*#]*(?![\w*#])"
# but does not rescan the rest of a word from every letter of it.
_MASKED: Final = re.compile(
    r"[a-z](?<![\w*#][a-z])[a-z]*(?:[*#]+[a-z]*)+(?![\w*#])"
    r"|[*#](?<![\w*#][*#])[*#]*[a-z]{2,}[a-z*#]*(?![\w*#])"
)
_REPEAT: Final = re.compile(r"([a-z])\1\1+")


@dataclass(frozen=True, slots=True)
class Category:
    name: str
    label: str
    action: str


class Hit:
    """A lexicon match (a plain class: mypyc compiles its ``__init__``)."""

    __slots__ = ("category", "end", "start", "via")

    def __init__(self, category: str, start: int, end: int, via: str) -> None:
        self.category = category
        self.start = start  # normalised-text offsets
        self.end = end
        self.via = via  # "word", "stem", "pattern", "masked"


def _key(phrase: str) -> str:
    return " ".join(_WORD.findall(leet_text(fold_text(normalise(phrase)[0]))))


class Lexicon:
    def __init__(self, data: dict[str, Any], *, leet: bool = True):
        self.leet = leet
        self.allow: frozenset[str] = frozenset(
            _key(w) for w in data.get("allow", {}).get("words", [])
        )
        self.categories: dict[str, Category] = {}
        self.automaton: Any = ahocorasick.Automaton()
        self.single: dict[str, str] = {}
        self.by_length: dict[int, list[tuple[str, str]]] = {}
        self.triggers: dict[str, list[tuple[str, re.Pattern[str], bool]]] = {}
        # literals one of which every match of a pattern contains (prefilter.py): the
        # pattern runs only when one is in the post
        self.literals: dict[int, tuple[str, ...] | None] = {}
        self.literal_ids: dict[int, frozenset[int] | None] = {}  # the same, in the index
        entries: dict[str, list[tuple[str, str, int]]] = {}
        for name, body in data.items():
            if name == "allow" or not isinstance(body, dict):
                continue
            self.categories[name] = Category(
                name, body.get("label", name), body.get("action", "review")
            )
            for word in body.get("words", []):
                key = _key(word)
                if not key:
                    continue
                entries.setdefault(f" {key} ", []).append((name, "word", key.count(" ") + 1))
                if " " not in key:
                    self.single.setdefault(key, name)
                    self.by_length.setdefault(len(key), []).append((key, name))
            for stem in body.get("stems", []):
                key = _key(stem).replace(" ", "")
                entries.setdefault(key, []).append((name, "stem", 1))
            for item in body.get("patterns", []):
                flags = 0 if item.get("case_sensitive") else re.IGNORECASE
                written = re.compile(item["regex"], flags)
                literals = required_literals(written, lower=True)
                # runs on the lower-case fold or leet: the same matches without IGNORECASE
                pattern = lowercase_twin(written)
                self.literals[id(pattern)] = tuple(sorted(literals)) if literals else None
                self.literal_ids[id(pattern)] = (
                    literal_ids(literals) if literals and min(map(len, literals)) >= 3 else None
                )
                for trigger in item.get("triggers", []):
                    self.triggers.setdefault(_key(trigger) or trigger, []).append(
                        (name, pattern, bool(item.get("negative", False)))
                    )
        self.empty = not entries
        self.repeats_in_automaton = leet and not self.empty
        if self.repeats_in_automaton:
            # stretched letters ("fuuuck"): the same pass notices any letter three times
            for letter in "abcdefghijklmnopqrstuvwxyz":
                entries.setdefault(letter * 3, []).append(("", "repeat", 0))
        self.entries: dict[str, tuple[tuple[str, str, int], ...]] = {
            key: tuple(values) for key, values in entries.items()
        }
        for key, values in self.entries.items():
            self.automaton.add_word(key, values)
        if entries:
            self.automaton.make_automaton()
        self._masks: dict[str, str | None] = {}  # masked word -> category (or None)
        self.shared: _LexiconSet | None = None  # set when the lexicon joins a shared pass
        self.number = 0
        self.trigger_keys = frozenset(self.triggers)

    def find(self, doc: Doc) -> list[Hit]:
        """The lexicon's hits in the post (computed once per post; do not mutate)."""
        cached = doc._hits.get(id(self))
        if cached is not None:
            return list(cached)
        hits = self._find(doc)
        doc._hits[id(self)] = hits
        return list(hits)

    def _find(self, doc: Doc) -> list[Hit]:
        tokens = doc.tokens
        if not tokens:
            return []
        text = doc.leet if self.leet else doc.fold
        line, starts = doc.token_line()
        hits: list[Hit] = []
        negatives: list[tuple[str, int, int]] = []
        repeated = False
        if not self.empty:
            found = (
                self.automaton.iter(line)
                if self.shared is None
                else self.shared.raw(doc)[self.number]
            )
            for end_pos, values in found:
                for category, via, n_tokens in values:
                    if via == "word":
                        # key " a b " ends on the space after its last token
                        first = max(bisect_right(starts, end_pos) - n_tokens, 0)
                        last = first + n_tokens - 1
                        if last >= len(tokens):
                            continue
                        hits.append(Hit(category, tokens[first].start, tokens[last].end, via))
                    elif via == "repeat":
                        repeated = True
                    else:
                        index = bisect_right(starts, end_pos) - 1
                        token = tokens[index]
                        if token.key in self.allow or token.key in self.single:
                            continue
                        hits.append(Hit(category, token.start, token.end, via))
        keys = doc.keys
        if not self.trigger_keys.isdisjoint(keys):
            triggered = keys & self.trigger_keys
            seen_patterns: set[int] = set()
            for key in triggered:
                for category, pattern, negative in self.triggers[key]:
                    if id(pattern) in seen_patterns:
                        continue
                    seen_patterns.add(id(pattern))
                    ids = self.literal_ids[id(pattern)]
                    if ids is not None and text is doc.fold:
                        # one look-up in the literals found by the post's single scan
                        if ids.isdisjoint(literals_present(doc)):
                            continue
                    else:
                        literals = self.literals[id(pattern)]
                        if literals is not None and not any(lit in text for lit in literals):
                            continue
                    for m in pattern.finditer(text):
                        if m.end() > m.start():
                            if negative:
                                negatives.append((category, m.start(), m.end()))
                            else:
                                hits.append(Hit(category, m.start(), m.end(), "pattern"))
        if self.leet:
            hits.extend(self._masked(doc, text))
            if repeated or not self.repeats_in_automaton:
                hits.extend(self._repeated(doc))
        if negatives:
            hits = [
                h
                for h in hits
                if not any(c == h.category and s < h.end and h.start < e for c, s, e in negatives)
            ]
        return hits

    def _masked(self, doc: Doc, text: str) -> list[Hit]:
        if "*" not in text and "#" not in text:
            return []
        out = []
        cache = self._masks
        for m in _MASKED.finditer(text):
            word = m.group()
            if word in cache:
                category = cache[word]
                if category is not None:
                    out.append(Hit(category, m.start(), m.end(), "masked"))
                continue
            category = self._unmask(word)
            if len(cache) < 10_000:
                cache[word] = category
            if category is not None:
                out.append(Hit(category, m.start(), m.end(), "masked"))
        return out

    def _unmask(self, word: str) -> str | None:
        """The category of the lexicon word a masked word ("f*ck") stands for, if any."""
        letters = sum(c.isalpha() for c in word)
        if len(word) < 3 or letters < 1 or (word.endswith(("*", "#")) and letters == len(word) - 1):
            return None
        regex = re.compile("".join("[a-z]" if c in "*#" else re.escape(c) for c in word) + r"\Z")
        for key, category in self.by_length.get(len(word), ()):
            if regex.match(key):
                return category
        return None

    def _repeated(self, doc: Doc) -> list[Hit]:
        out: list[Hit] = []
        if _REPEAT.search(doc.token_line()[0]) is None:  # the line holds every token's key
            return out
        for token in doc.tokens:
            key = token.key
            if len(key) < 4 or _REPEAT.search(key) is None:
                continue
            for variant in (_REPEAT.sub(r"\1", key), _REPEAT.sub(r"\1\1", key)):
                category = self.single.get(variant)
                if category:
                    out.append(Hit(category, token.start, token.end, "word"))
                    break
        return out


class _LexiconSet:
    """The built-in lexicons' words in one automaton: one pass over the post's token line
    serves them all (each lexicon then reads its own share of the matches)."""

    def __init__(self, lexicons: list[Lexicon]) -> None:
        self.lexicons = lexicons
        combined: dict[str, list[tuple[int, tuple[tuple[str, str, int], ...]]]] = {}
        for number, lexicon in enumerate(lexicons):
            lexicon.shared = self
            lexicon.number = number
            for key, values in lexicon.entries.items():
                combined.setdefault(key, []).append((number, values))
        self.automaton = Automaton()  # a dense table walked in C (automaton.py)
        for key, pairs in combined.items():
            self.automaton.add_word(key, tuple(pairs))
        self.automaton.make_automaton()

    def raw(self, doc: Doc) -> list[list[tuple[int, tuple[tuple[str, str, int], ...]]]]:
        found = doc._lexicon_matches
        if found is None:
            found = [[] for _ in self.lexicons]
            for end_pos, pairs in self.automaton.iter(doc.token_line()[0]):
                for number, values in pairs:
                    found[number].append((end_pos, values))
            doc._lexicon_matches = found
        return found


_BUILT_IN: Final = (
    ("special_category.toml", False),
    ("confidential.toml", False),
    ("offensive.toml", True),
)


@cache
def _built_in() -> list[Lexicon]:
    lexicons = [_load(name, leet) for name, leet in _BUILT_IN]
    _LexiconSet(lexicons)
    return lexicons


def _load(name: str, leet: bool) -> Lexicon:
    raw = resources.files("carepost.screening").joinpath("data", name).read_text("utf-8")
    return Lexicon(tomllib.loads(raw), leet=leet)


@cache
def load_lexicon(name: str, leet: bool = True) -> Lexicon:
    if (name, leet) in _BUILT_IN:
        return _built_in()[_BUILT_IN.index((name, leet))]
    return _load(name, leet)
