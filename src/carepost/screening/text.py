"""The analysed post every check reads: normalised views, tokens, sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .normalise import OffsetMap, fold_text, leet_text, normalise

if TYPE_CHECKING:
    from .findings import Finding
    from .register import Mention

_TOKEN = re.compile(r"[^\W_]+")
_CAMEL = re.compile(r"Ma?c[A-Z][a-z]+|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+")
_BOUNDARY = re.compile(r"[.!?:;\n\"()\[\]\u2014\u2013|\u2022\u2026]|\s'|[^\x00-\u2000]")

_STRONG = re.compile(r"[.!?\n]")

LOWER, TITLE, UPPER, OTHER = 0, 1, 2, 3


@dataclass(slots=True)
class Token:
    start: int  # offsets in the normalised text
    end: int
    key: str  # lower-cased, accent-free, leetspeak undone
    shape: int  # LOWER, TITLE, UPPER or OTHER (digits, mixed)
    initial: bool  # first word of a sentence (capital letters carry no information)
    tag: bool = False  # part of a #hashtag or @handle
    sentence: int = 0


@dataclass
class Doc:
    """One post, analysed once and shared by every check."""

    text: str
    norm: str
    fold: str
    leet: str
    omap: OffsetMap
    tokens: list[Token]
    sentence_starts: list[int]  # token index where each sentence starts
    casual: bool  # the writer does not use capitals (names may be lower-case)
    weak_starts: set[int]  # sentences that follow a dash, colon or emoji rather than a full stop
    mentions: list[Mention] = field(default_factory=list)
    personal: list[tuple[str, int, int]] = field(default_factory=list)
    _line: tuple[str, list[int]] | None = None
    _keys: frozenset[str] | None = None

    @property
    def keys(self) -> frozenset[str]:
        """The set of token keys (for trigger look-ups)."""
        if self._keys is None:
            self._keys = frozenset(t.key for t in self.tokens)
        return self._keys

    findings: list[Finding] = field(default_factory=list)

    def orig(self, start: int, end: int) -> tuple[int, int, str]:
        """Original (start, end, text) for a span of the normalised text."""
        o_start, o_end = self.omap.span(start, end)
        return o_start, o_end, self.text[o_start:o_end]

    def token_line(self) -> tuple[str, list[int]]:
        """ " key key key " with the line offset of each token (for phrase automata)."""
        if self._line is None:
            starts = []
            pos = 1
            for token in self.tokens:
                starts.append(pos)
                pos += len(token.key) + 1
            self._line = (" " + " ".join(t.key for t in self.tokens) + " ", starts)
        return self._line

    def sentence_span(self, index: int) -> tuple[int, int]:
        """Normalised-text span of sentence ``index``."""
        starts = self.sentence_starts
        first = self.tokens[starts[index]].start
        last_tok = starts[index + 1] - 1 if index + 1 < len(starts) else len(self.tokens) - 1
        return first, self.tokens[last_tok].end

    def sentence_of_offset(self, offset: int) -> int:
        for token in self.tokens:
            if token.end > offset:
                return token.sentence
        return self.tokens[-1].sentence if self.tokens else 0


def _shape(word: str) -> int:
    first = word[0]
    if first.isupper():
        if word.isupper():
            return UPPER
        return TITLE
    if first.islower():
        return LOWER
    return OTHER


def analyse(text: str) -> Doc:
    norm, omap = normalise(text)
    fold = fold_text(norm)
    leet = leet_text(fold)
    tokens: list[Token] = []
    sentence_starts: list[int] = []
    prev_end = 0
    sentence = -1
    weak: set[int] = set()
    for match in _TOKEN.finditer(leet):
        start, end = match.span()
        surface = norm[start:end]
        gap = norm[prev_end:start]
        initial = not tokens or (gap != " " and _BOUNDARY.search(gap) is not None)
        before = norm[start - 1] if start else ""
        if initial:
            sentence += 1
            sentence_starts.append(len(tokens))
            if tokens and _STRONG.search(gap) is None:
                weak.add(sentence)
        if before in "#@" and start and not surface.isdigit():
            # hashtag or handle: split CamelCase into words
            first_part = True
            for part in _CAMEL.finditer(surface):
                p_start, p_end = start + part.start(), start + part.end()
                tokens.append(
                    Token(
                        p_start,
                        p_end,
                        leet[p_start:p_end],
                        _shape(part.group()),
                        initial and first_part,
                        True,
                        sentence,
                    )
                )
                first_part = False
        else:
            if surface.isalpha():
                shape = _shape(surface)
            else:
                letters = "".join(c for c in surface if c.isalpha())
                shape = _shape(letters) if letters and surface[0].isalpha() else OTHER
            tokens.append(Token(start, end, match.group(), shape, initial, False, sentence))
        prev_end = end
    casual = not any(t.shape == TITLE and t.key != "i" and not t.tag for t in tokens)
    return Doc(text, norm, fold, leet, omap, tokens, sentence_starts, casual, weak)
