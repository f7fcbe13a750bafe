"""Cheap literal pre-filters for the engine's regular expressions.

Python's ``re`` tries a pattern such as ``\\b(?:office|apply|donate...)\\b`` at every
position of the text, which costs microseconds per pattern and post. Most posts contain
none of the words such a pattern needs, so each pattern is compiled together with the
set of literal strings of which any match must contain at least one (worked out from
the parsed pattern, so it cannot drift from the regex). ``in`` tests on the lower-cased
text are far cheaper than the regex, and the regex runs only when one is present.

The literals are lower-cased and tested against a lower-cased view of the text the
regex runs on (``Doc.fold`` for ``Doc.norm``; ``fold`` and ``leet`` are lower case
already). This is a necessary condition for a match whatever the pattern's case flags,
because the normaliser leaves no non-ASCII character that ``re`` would match to an
ASCII letter ignoring case (the Kelvin sign, the long s and the dotted and dotless i
are all mapped to ASCII first; a unit test pins this).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from .automaton import Automaton

if TYPE_CHECKING:
    from .text import Doc

_parser: Final[Any] = importlib.import_module("re._parser")
_c: Final[Any] = importlib.import_module("re._constants")

_NEUTRAL: Final = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}  # zero width: literals on both sides adjoin


def _required(items: Any, lower: bool) -> tuple[str | None, frozenset[str] | None]:
    """(the exact string this sequence matches if it is a pure literal, else None;
    a set of literals one of which every match contains, else None)."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    pure = True

    def close() -> None:
        if run:
            candidates.append(frozenset(("".join(run),)))
            run.clear()

    for op, av in items:
        if op is _c.LITERAL and av < 128:
            run.append(chr(av).lower() if lower else chr(av))
            continue
        if op in _NEUTRAL:
            pure = False
            continue
        if op is _c.SUBPATTERN:
            exact, req = _required(av[-1], lower)
            if exact is not None:
                run.extend(exact)
                continue
            pure = False
            close()
            if req is not None:
                candidates.append(req)
            continue
        pure = False
        close()
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                exact, req = _required(sub, lower)
                if exact:
                    candidates.append(frozenset((exact,)))
                elif req is not None:
                    candidates.append(req)
        elif op is _c.BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                exact, req = _required(alternative, lower)
                if exact:
                    union.add(exact)
                elif req is not None:
                    union |= req
                else:
                    union = set()
                    break
            if union:
                candidates.append(frozenset(union))
        # anything else (classes, any, categories, back-references) requires nothing
    if pure:
        return "".join(run), (frozenset(("".join(run),)) if run else None)
    close()
    candidates = [c for c in candidates if c and all(c)]
    if not candidates:
        return None, None
    best = max(candidates, key=lambda c: (min(map(len, c)), -len(c)))
    return None, best


def _ignores_case(pattern: re.Pattern[str]) -> bool:
    return bool(pattern.flags & re.IGNORECASE) or "(?i" in pattern.pattern


def required_literals(pattern: re.Pattern[str], lower: bool = True) -> frozenset[str] | None:
    """Literals one of which every match of ``pattern`` contains (None: no such set, the
    pattern must always run). Lower-cased when ``lower`` (to test a lower-cased text)."""
    exact, req = _required(_parser.parse(pattern.pattern, pattern.flags), lower)
    if exact:
        return frozenset((exact,))
    return req


class _LiteralIndex:
    """Every gate's literals in one Aho-Corasick automaton over ``Doc.fold`` (the
    case-sensitive ones lower-cased and then checked in ``Doc.norm``), so one pass over
    the post tells every gate at once which of its literals are present."""

    def __init__(self) -> None:
        self.ids: dict[tuple[bool, str], int] = {}
        self.version = 0
        self._built = -1
        self._automaton: Any = None

    def add(self, literals: Iterable[str], exact: bool) -> frozenset[int]:
        ids = set()
        for literal in literals:
            key = (exact, literal)
            if key not in self.ids:
                self.ids[key] = len(self.ids)
                self.version += 1
            ids.add(self.ids[key])
        return frozenset(ids)

    def _build(self) -> None:
        # One automaton over ``fold`` serves both kinds: a case-sensitive literal (ASCII,
        # see ``_required``) is looked for lower-cased, and each place it is found is
        # checked against ``norm`` (``fold`` is ``norm`` lower-cased character for
        # character, so the offsets agree). The same literals are found as with a
        # second automaton over ``norm``, with one pass over the post instead of two.
        entries: dict[str, list[tuple[int, str | None]]] = {}
        for (is_exact, literal), index in self.ids.items():
            key = literal.lower() if is_exact else literal
            entries.setdefault(key, []).append((index, literal if is_exact else None))
        automaton = Automaton()
        for key, values in entries.items():
            automaton.add_word(key, tuple(values))
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
        else:
            self._automaton = None
        self._built = self.version

    def present(self, doc: Doc) -> set[int]:
        found = doc._literals
        if found is not None and doc._literals_version == self.version:
            return found
        if self._built != self.version:
            self._build()
        found = set()
        if self._automaton is not None:
            norm = doc.norm
            for end, values in self._automaton.iter(doc.fold):
                for index, exact in values:
                    if exact is None or norm.startswith(exact, end + 1 - len(exact)):
                        found.add(index)
        doc._literals = found
        doc._literals_version = self.version
        return found


_INDEX: Final = _LiteralIndex()


class Gated:
    """A compiled regex with its literal pre-filter. ``maybe(doc)`` is False only when
    the regex cannot match ``doc.norm`` or ``doc.fold`` (whichever it runs on). A
    case-sensitive pattern's literals are looked for in ``norm`` as they are; a pattern
    that ignores case anywhere has lower-cased literals looked for in ``fold``. Patterns
    with a lower-case literal shorter than three letters ("at", "we") would pass nearly
    every post, so they have no gate and always run."""

    __slots__ = ("exact", "ids", "literals", "regex")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.exact = not _ignores_case(regex)
        literals = required_literals(regex, lower=not self.exact)
        if literals and min(map(len, literals)) < (2 if self.exact else 3):
            literals = None  # "at", "we": in nearly every post
        self.literals: tuple[str, ...] | None = tuple(sorted(literals)) if literals else None
        self.ids = _INDEX.add(self.literals, self.exact) if self.literals else None

    def maybe(self, doc: Doc) -> bool:
        ids = self.ids
        return ids is None or not ids.isdisjoint(_INDEX.present(doc))

    def seen(self, present: set[int]) -> bool:
        """``maybe`` given ``literals_present(doc)`` (for a check that asks many gates)."""
        ids = self.ids
        return ids is None or not ids.isdisjoint(present)


def _has_upper(items: Any) -> bool:
    """True if the parsed pattern can match an upper-case character as written."""
    for op, av in items:
        if op in (_c.LITERAL, _c.NOT_LITERAL):
            if chr(av).lower() != chr(av):
                return True
        elif op is _c.IN:
            for item_op, item_av in av:
                if item_op in (_c.LITERAL, _c.NOT_LITERAL) and chr(item_av).lower() != chr(item_av):
                    return True
                if item_op is _c.RANGE:
                    low, high = item_av
                    if high - low > 5000 or any(
                        chr(c).lower() != chr(c) for c in range(low, high + 1)
                    ):
                        return True
        elif op is _c.BRANCH:
            if any(_has_upper(alternative) for alternative in av[1]):
                return True
        elif op is _c.SUBPATTERN:
            if _has_upper(av[-1]):
                return True
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
            if _has_upper(av[2]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _has_upper(av[1]):
                return True
        elif op is _c.GROUPREF_EXISTS:
            return True
    return False


def lowercase_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The same pattern without ``re.IGNORECASE``, for a lower-case text (``Doc.fold`` or
    ``Doc.leet``), where it matches exactly the same spans, two to three times faster.
    Only when nothing in the pattern is upper case (``[A-Z]`` under IGNORECASE also
    matches lower-case letters); otherwise the pattern itself. The normaliser leaves no
    character that re would fold onto an ASCII letter (see the module docstring)."""
    if not pattern.flags & re.IGNORECASE or _has_upper(
        _parser.parse(pattern.pattern, pattern.flags)
    ):
        return pattern
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


def gate(regex: re.Pattern[str]) -> Gated:
    return Gated(regex)


def literal_ids(literals: Iterable[str]) -> frozenset[int]:
    """Register lower-case literals to be looked for in ``Doc.fold``; their ids."""
    return _INDEX.add(literals, exact=False)


def literals_present(doc: Doc) -> set[int]:
    """Ids of the registered literals that occur in the post (one scan per post)."""
    return _INDEX.present(doc)


__all__ = [
    "Gated",
    "gate",
    "literal_ids",
    "literals_present",
    "lowercase_twin",
    "required_literals",
]
