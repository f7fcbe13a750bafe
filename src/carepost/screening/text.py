"""The analysed post every check reads: normalised views, tokens, sentences."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, compress, repeat
from typing import TYPE_CHECKING, Any, Final

from .normalise import OffsetMap, fold_text, leet_text, normalise
from .scan import native

if TYPE_CHECKING:
    from .findings import Finding
    from .register import Mention

_TOKEN: Final = re.compile(r"[^\W_]+")
_SPLIT: Final = re.compile(r"([^\W_]+)").split
# The same split when the only word characters are ASCII (``leet`` is lower case):
# re is more than twice as fast with a plain class than with the Unicode word category.
_SPLIT_ASCII: Final = re.compile(r"([a-z0-9]+)").split
_NON_ASCII_WORD: Final = re.compile(r"[^\W\x00-\x7f]")


def _split_words(leet: str) -> list[str]:
    """``_SPLIT(leet)``: [gap, word, gap, word, ..., gap]."""
    if leet.isascii() or _NON_ASCII_WORD.search(leet) is None:
        return _SPLIT_ASCII(leet)
    return _SPLIT(leet)


# One loop in C when built (scan.py), else the regexes above.
split_words: Final = native("split_words", _split_words)

_CAMEL: Final = re.compile(r"Ma?c[A-Z][a-z]+|[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+")
_BOUNDARY: Final = re.compile(r"[.!?:;\n\"()\[\]\u2014\u2013|\u2022\u2026]|\s'|[^\x00-\u2000]")

_STRONG: Final = re.compile(r"[.!?\n]")

# True when this module runs as mypyc-compiled C (tools/build_screening.py); a few
# hot functions have a version written for the compiler (plain loops, which mypyc turns
# into C) beside the interpreter's list-at-a-time version, with the same results.
COMPILED: Final = not __file__.endswith(".py")

LOWER: Final = 0
TITLE: Final = 1
UPPER: Final = 2
OTHER: Final = 3


class Token:
    """One word of the post (a plain class, not a dataclass: mypyc compiles its
    ``__init__``, the engine builds one per word)."""

    __slots__ = ("end", "initial", "key", "sentence", "shape", "start", "tag")

    def __init__(
        self,
        start: int,
        end: int,
        key: str,
        shape: int,
        initial: bool,
        tag: bool = False,
        sentence: int = 0,
    ) -> None:
        self.start = start  # offsets in the normalised text
        self.end = end
        self.key = key  # lower-cased, accent-free, leetspeak undone
        self.shape = shape  # LOWER, TITLE, UPPER or OTHER (digits, mixed)
        self.initial = initial  # first word of a sentence (capitals carry no information)
        self.tag = tag  # part of a #hashtag or @handle
        self.sentence = sentence


class Doc:
    """One post, analysed once and shared by every check."""

    def __init__(
        self,
        text: str,
        norm: str,
        fold: str,
        leet: str,
        omap: OffsetMap,
        tokens: list[Token],
        sentence_starts: list[int],
        casual: bool,
        weak_starts: set[int],
    ) -> None:
        self.text = text
        self.norm = norm
        self.fold = fold
        self.leet = leet
        self.omap = omap
        self.tokens = tokens
        self.sentence_starts = sentence_starts  # token index where each sentence starts
        self.casual = casual  # the writer does not use capitals (names may be lower-case)
        # sentences that follow a dash, colon or emoji rather than a full stop
        self.weak_starts = weak_starts
        self.mentions: list[Mention] = []
        self.personal: list[tuple[str, int, int]] = []
        self.key_list: list[str] | None = None  # [t.key for t in tokens], when analyse has it
        self.shape_list: list[int] | None = None  # [t.shape for t in tokens]
        self.findings: list[Finding] = []
        self._line: tuple[str, list[int]] | None = None
        self._keys: frozenset[str] | None = None
        self._ends: list[int] | None = None
        self._hits: dict[int, Any] = {}  # lexicon hits (see rules.py)
        self._lexicon_matches: Any = None  # the built-in lexicons' automaton matches (rules.py)
        self._literals: set[int] | None = None  # prefilter literals present (see prefilter.py)
        self._literals_version = -1

    @property
    def keys(self) -> frozenset[str]:
        """The set of token keys (for trigger look-ups)."""
        if self._keys is None:
            self._keys = frozenset(self.token_keys())
        return self._keys

    def token_keys(self) -> list[str]:
        """[t.key for t in tokens] (shared: do not mutate)."""
        if self.key_list is None:
            self.key_list = [t.key for t in self.tokens]
        return self.key_list

    def token_shapes(self) -> list[int]:
        """[t.shape for t in tokens] (shared: do not mutate)."""
        if self.shape_list is None:
            self.shape_list = [t.shape for t in self.tokens]
        return self.shape_list

    def orig(self, start: int, end: int) -> tuple[int, int, str]:
        """Original (start, end, text) for a span of the normalised text."""
        o_start, o_end = self.omap.span(start, end)
        return o_start, o_end, self.text[o_start:o_end]

    def token_line(self) -> tuple[str, list[int]]:
        """ " key key key " with the line offset of each token (for phrase automata)."""
        if self._line is None:
            keys = self.token_keys()
            # token k starts after the leading space, the k tokens before it and their spaces
            starts: list[int] = []
            position = 1
            for key in keys:
                starts.append(position)
                position += len(key) + 1
            self._line = (" " + " ".join(keys) + " ", starts)
        return self._line

    def sentence_span(self, index: int) -> tuple[int, int]:
        """Normalised-text span of sentence ``index``."""
        starts = self.sentence_starts
        first = self.tokens[starts[index]].start
        last_tok = starts[index + 1] - 1 if index + 1 < len(starts) else len(self.tokens) - 1
        return first, self.tokens[last_tok].end

    def sentence_of_offset(self, offset: int) -> int:
        """Sentence of the first token that ends after ``offset``."""
        tokens = self.tokens
        if not tokens:
            return 0
        ends = self._ends
        if ends is None:
            ends = self._ends = [t.end for t in tokens]
        index = bisect_right(ends, offset)
        return tokens[index if index < len(tokens) else -1].sentence


def _shape(word: str) -> int:
    first = word[0]
    if first.isupper():
        if word.isupper():
            return UPPER
        return TITLE
    if first.islower():
        return LOWER
    return OTHER


def _surface_shape(surface: str) -> int:
    """Shape of a token's surface; non-letters are ignored when it starts with a letter."""
    if surface.isalpha():
        return _shape(surface)
    letters = "".join(c for c in surface if c.isalpha())
    return _shape(letters) if letters and surface[0].isalpha() else OTHER


_SHAPES: Final[dict[str, int]] = {}


_GAP_INITIAL: Final[dict[str, bool]] = {}  # the gap before a word starts a sentence
_GAP_STRONG: Final[dict[str, bool]] = {}  # ... with a full stop, ! ? or a new line (not weak)


def _learn_gap(gap: str) -> bool:
    initial = gap != " " and _BOUNDARY.search(gap) is not None
    if len(_GAP_INITIAL) < 10_000:
        _GAP_INITIAL[gap] = initial
        _GAP_STRONG[gap] = _STRONG.search(gap) is not None
    return initial


def _strong_gap(gap: str) -> bool:
    strong = _GAP_STRONG.get(gap)
    return strong if strong is not None else _STRONG.search(gap) is not None


def _learn_shape(surface: str) -> int:
    shape = _surface_shape(surface)
    if len(_SHAPES) < 100_000:
        _SHAPES[surface] = shape
    return shape


def analyse(text: str) -> Doc:
    norm, omap = normalise(text)
    fold = fold_text(norm)
    leet = leet_text(fold)
    # [gap, word, gap, word, ..., gap] in one C call; the words of ``leet`` are the tokens.
    # Everything below is done a list at a time; only unseen words and gaps (cached,
    # the same for every post) cost a Python-level step.
    parts = split_words(leet)
    if COMPILED:
        return _analyse_compiled(text, norm, fold, leet, omap, parts)
    keys = parts[1::2]
    n = len(keys)
    if not n:
        return Doc(text, norm, fold, leet, omap, [], [], True, set())
    gaps = parts[0:-1:2]  # the gap before each word (punctuation and spaces are the
    # same in leet as in norm: lower-casing and leetspeak change only letters and words)
    offsets = list(accumulate(map(len, parts)))
    starts = offsets[0:-1:2]
    ends = offsets[1::2]
    surfaces = list(map(norm.__getitem__, map(slice, starts, ends)))
    known_shapes = list(map(_SHAPES.get, surfaces))
    shapes: list[int] = (
        [
            shape if shape is not None else _learn_shape(surface)
            for shape, surface in zip(known_shapes, surfaces, strict=True)
        ]
        if None in known_shapes
        else known_shapes  # type: ignore[assignment]
    )
    known_initials = list(map(_GAP_INITIAL.get, gaps))
    initials: list[bool] = (
        [
            flag if flag is not None else _learn_gap(gap)
            for flag, gap in zip(known_initials, gaps, strict=True)
        ]
        if None in known_initials
        else known_initials  # type: ignore[assignment]
    )
    initials[0] = True
    sentences: list[int] = list(accumulate(initials, initial=-1))
    del sentences[0]
    sentence_starts = list(compress(range(n), initials))
    weak = {k for k, first in enumerate(sentence_starts) if k and not _strong_gap(gaps[first])}
    tagged = (
        [k for k in range(n) if gaps[k][-1:] in ("#", "@") and not surfaces[k].isdigit()]
        if "#" in norm or "@" in norm
        else None
    )
    if tagged:
        return _with_tags(
            Doc(text, norm, fold, leet, omap, [], sentence_starts, True, weak),
            set(tagged),
            (starts, ends, keys, shapes, initials, sentences),
        )
    tokens = list(map(Token, starts, ends, keys, shapes, initials, repeat(False, n), sentences))
    # a TITLE-shaped word has two letters or more, so it is never the pronoun "I"
    casual = TITLE not in shapes
    doc = Doc(text, norm, fold, leet, omap, tokens, sentence_starts, casual, weak)
    doc.key_list = keys
    doc.shape_list = shapes
    return doc


def _ascii_shape(norm: str, start: int, end: int) -> int:
    """``_surface_shape(norm[start:end])`` read from the characters' codes, or -1 when
    the word has a non-ASCII character (then the cached ``_surface_shape`` decides).
    For ASCII: a lower-case first letter is LOWER; an upper-case one is UPPER unless a
    lower-case letter follows (TITLE); a first character that is not a letter is OTHER."""
    first = ord(norm[start])
    if 97 <= first <= 122:
        return LOWER
    if first >= 128:
        return -1
    if not 65 <= first <= 90:
        return OTHER
    for index in range(start + 1, end):
        code = ord(norm[index])
        if 97 <= code <= 122:
            return TITLE
        if code >= 128:
            return -1
    return UPPER


def _analyse_compiled(
    text: str, norm: str, fold: str, leet: str, omap: OffsetMap, parts: list[str]
) -> Doc:
    """``analyse`` after the split, one word at a time: the compiled build's version
    (mypyc turns this loop into C; interpreted, the list-at-a-time code is faster). The
    same Doc as the list-at-a-time code, pinned by tests/test_fast_paths.py."""
    n = len(parts) // 2
    if not n:
        return Doc(text, norm, fold, leet, omap, [], [], True, set())
    tags = "#" in norm or "@" in norm
    keys: list[str] = []
    shapes: list[int] = []
    initials: list[bool] = []
    starts: list[int] = []
    ends: list[int] = []
    sentences: list[int] = []
    tokens: list[Token] = []
    sentence_starts: list[int] = []
    weak: set[int] = set()
    tagged: set[int] = set()
    casual = True
    sentence = -1
    pos = 0
    known_gaps = _GAP_INITIAL
    for k in range(n):
        gap = parts[2 * k]
        key = parts[2 * k + 1]
        start = pos + len(gap)
        end = start + len(key)
        pos = end
        if k == 0:
            initial = True
        elif gap == " ":
            initial = False
        else:
            flag = known_gaps.get(gap)
            initial = flag if flag is not None else _learn_gap(gap)
        if initial:
            sentence += 1
            if sentence and not _strong_gap(gap):
                weak.add(sentence)
            sentence_starts.append(k)
        shape = _ascii_shape(norm, start, end)
        if shape < 0:
            surface = norm[start:end]
            known = _SHAPES.get(surface)
            shape = known if known is not None else _learn_shape(surface)
        if shape == TITLE:
            casual = False
        keys.append(key)
        shapes.append(shape)
        if tags:
            initials.append(initial)
            starts.append(start)
            ends.append(end)
            sentences.append(sentence)
            if gap[-1:] in ("#", "@") and not norm[start:end].isdigit():
                tagged.add(k)
        else:
            tokens.append(Token(start, end, key, shape, initial, False, sentence))
    if tagged:
        return _with_tags(
            Doc(text, norm, fold, leet, omap, [], sentence_starts, True, weak),
            tagged,
            (starts, ends, keys, shapes, initials, sentences),
        )
    if tags:
        tokens = list(map(Token, starts, ends, keys, shapes, initials, repeat(False, n), sentences))
    doc = Doc(text, norm, fold, leet, omap, tokens, sentence_starts, casual, weak)
    doc.key_list = keys
    doc.shape_list = shapes
    return doc


def _with_tags(
    doc: Doc,
    tagged: set[int],
    columns: tuple[list[int], list[int], list[str], list[int], list[bool], list[int]],
) -> Doc:
    """The tokens of a post with #hashtags or @handles: each tag is split at CamelCase
    ("#HappyBirthdayPeggy" -> happy birthday peggy) into tokens marked ``tag``."""
    starts, ends, keys, shapes, initials, sentences = columns
    tokens = doc.tokens
    append = tokens.append
    sentence_starts: list[int] = []
    casual = True
    norm, leet = doc.norm, doc.leet
    for k, start in enumerate(starts):
        initial = initials[k]
        if initial:
            sentence_starts.append(len(tokens))
        if k in tagged:
            first_part = True
            for part in _CAMEL.finditer(norm, start, ends[k]):
                p_start, p_end = part.span()
                append(
                    Token(
                        p_start,
                        p_end,
                        leet[p_start:p_end],
                        _shape(part.group()),
                        initial and first_part,
                        True,
                        sentences[k],
                    )
                )
                first_part = False
        else:
            if shapes[k] == TITLE:
                casual = False
            append(Token(start, ends[k], keys[k], shapes[k], initial, False, sentences[k]))
    doc.sentence_starts = sentence_starts
    doc.casual = casual
    return doc
