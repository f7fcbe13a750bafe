# ruff: noqa: RUF001  (the look-alike table is deliberately full of confusable letters)
"""Normalisation with an offset map back to the original text.

Pipeline (each step keeps track of where every character came from):

1. Unicode compatibility forms (NFKC): full-width digits, ligatures, odd spaces.
2. Accents stripped (NFKD, combining marks dropped) so "Siobhán" and "Siobhan" match.
3. Look-alike Cyrillic and Greek letters mapped to their Latin twins.
4. Zero-width and other formatting characters (Unicode category Cf) removed.
5. Spaced-out letters joined: "P e g g y", "s.h.i.t" -> "Peggy", "shit".

``norm`` keeps the writer's capitals (the person check reads them). ``fold`` is ``norm``
lower-cased, character for character the same length. ``leet`` is ``fold`` with
leetspeak undone inside words that mix letters and digits or symbols ("sh1t",
"p@ki", "b!tch"); it too has the same length, so one offset map serves all three.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from typing import Final

from .scan import native

# Cyrillic and Greek letters that look like Latin ones (the usual homoglyph evasions).
_CONFUSABLE_PAIRS: Final = (
    "аa бb вB еe ѐe ёe гr дd зз іi їi јj кk лл мM нH оo пn рp сc тT уy фф хx ѕs һh ӏl ԁd ԛq ԝw"
    " ьb ъb ьb ѵv ѡw ӑa ӓa ӧo ӱy"
    " АA ВB ЕE ЁE ЅS ІI ЇI ЈJ КK МM НH ОO РP СC ТT УY ХX ԚQ ԜW Һh Ӏl"
    " αa βb εe ηn ιi κk νv οo ρp τt υu χx ωw γy"
    " ΑA ΒB ΕE ΖZ ΗH ΙI ΚK ΜM ΝN ΟO ΡP ΤT ΥY ΧX"
)
CONFUSABLES: Final[dict[str, str]] = {}
for _pair in _CONFUSABLE_PAIRS.split():
    if _pair[1] != _pair[0] and _pair[1].isascii():
        CONFUSABLES[_pair[0]] = _pair[1]

_SPECIAL: Final = {
    "ł": "l",
    "Ł": "L",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "þ": "th",
    "ð": "d",
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2010": "-",
    "\u2011": "-",
}

_char_cache: Final[dict[str, str]] = {}


def _map_char(ch: str) -> str:
    """What one non-ASCII character becomes in the normalised text ('' to drop it)."""
    out = _char_cache.get(ch)
    if out is not None:
        return out
    if ch in CONFUSABLES:
        out = CONFUSABLES[ch]
    elif ch in _SPECIAL:
        out = _SPECIAL[ch]
    elif unicodedata.category(ch) in ("Cf", "Mn", "Me", "Cc", "Cs", "Co"):
        out = " " if ch in "\u2028\u2029\x85" else ""
    else:
        decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch))
        parts = []
        for sub in decomposed:
            if unicodedata.category(sub) in ("Mn", "Me", "Cf"):
                continue
            parts.append(CONFUSABLES.get(sub) or _SPECIAL.get(sub) or sub)
        out = "".join(parts)
    if len(_char_cache) < 50_000:
        _char_cache[ch] = out
    return out


_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
# Three or more single letters separated by one repeated separator: "P e g g y", "s.h.i.t".
_SPACED: Final = re.compile(r"(?<!\w)[^\W\d_](?P<sep>[ .\-])[^\W\d_](?:(?P=sep)[^\W\d_])+(?!\w)")
# Leetspeak only inside tokens that mix letters with digits or symbols.
_LEET_TOKEN: Final = re.compile(r"[a-z0-9@$!|]*[a-z][a-z0-9@$!|]*")
# The same runs, but only those that also hold a digit or symbol (``fix`` leaves the
# others as they are, and most words of a post are such runs): a run starts where the
# character before is not in the class, and the look-ahead finds a digit or symbol
# before the first character outside the class.
_LEET_CANDIDATE: Final = re.compile(
    r"(?<![a-z0-9@$!|])(?=[a-z]*[0-9@$!|])[a-z0-9@$!|]*[a-z][a-z0-9@$!|]*"
)
_LEET_TABLE: Final = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
    }
)
# A run of digits/symbols between letters, or a word starting with one ("4ss").
# Written to start with the character class (re scans for it quickly); the look-behinds
# check the character before, so this is r"[a-z][0-9@$!|]+[a-z]|(?<![\w@$!|])[0-9@$|][a-z]{2}".
_HAS_LEET: Final = re.compile(
    r"[0-9@$!|](?<=[a-z][0-9@$!|])[0-9@$!|]*[a-z]|[0-9@$|](?<![\w@$!|][0-9@$|])[a-z]{2}"
)
_LEET_CHAR: Final = re.compile(r"[0-9@$!|]")
# A necessary condition for _SPACED (a separator, a lone letter, a separator, a lone
# letter) that re scans for much faster.
_MAYBE_SPACED: Final = re.compile(r"[ .\-][^\W\d_][ .\-][^\W\d_](?!\w)")

# The same tests as single loops in C when built (scan.py); the regexes are the spec.
_non_ascii_positions: Final = native(
    "non_ascii_positions", lambda text: [m.start() for m in _NON_ASCII.finditer(text)]
)
_maybe_spaced: Final = native("maybe_spaced", lambda text: _MAYBE_SPACED.search(text) is not None)
_has_leet: Final = native(
    "has_leet",
    lambda fold: _LEET_CHAR.search(fold) is not None and _HAS_LEET.search(fold) is not None,
)


class OffsetMap:
    """Maps a span of the normalised text back to a span of the original text."""

    __slots__ = ("ident", "identity", "n_starts", "o_ends", "o_starts")

    def __init__(self) -> None:
        self.identity = True
        self.n_starts: list[int] = []
        self.o_starts: list[int] = []
        self.o_ends: list[int] = []
        self.ident: list[bool] = []

    def add(self, n_start: int, o_start: int, o_end: int, ident: bool) -> None:
        self.n_starts.append(n_start)
        self.o_starts.append(o_start)
        self.o_ends.append(o_end)
        self.ident.append(ident)

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.identity:
            return start, end
        k = bisect_right(self.n_starts, start) - 1
        lo = self.o_starts[k] + (start - self.n_starts[k]) if self.ident[k] else self.o_starts[k]
        last = end - 1
        k = bisect_right(self.n_starts, last) - 1
        hi = self.o_starts[k] + (last - self.n_starts[k]) + 1 if self.ident[k] else self.o_ends[k]
        return lo, max(hi, lo)


def normalise(text: str) -> tuple[str, OffsetMap]:
    """Return (norm, offset map). See the module docstring for the steps."""
    omap = OffsetMap()
    events: list[tuple[int, int, str]] = []
    if not text.isascii():
        for index in _non_ascii_positions(text):
            ch = text[index]
            mapped = _map_char(ch)
            if mapped != ch:
                events.append((index, index + 1, mapped))
    if _maybe_spaced(text) and _SPACED.search(text) is not None:
        for match in _SPACED.finditer(text):
            sep = match.group("sep")
            base = match.start()
            chunk = match.group()
            # "what a b a s t a r d": a leading lower-case "a" is the article, not a letter
            skip_first = chunk[0] == "a" and sep == " " and len(chunk) >= 9
            for offset, ch in enumerate(chunk):
                if ch == sep and offset % 2 == 1 and not (skip_first and offset == 1):
                    events.append((base + offset, base + offset + 1, ""))
        events.sort()
    if not events:
        return text, omap
    omap.identity = False
    parts: list[str] = []
    pos = 0
    npos = 0
    for o_start, o_end, replacement in events:
        if o_start < pos:  # overlapping event (cannot normally happen): keep the first
            continue
        if o_start > pos:
            omap.add(npos, pos, o_start, True)
            parts.append(text[pos:o_start])
            npos += o_start - pos
        omap.add(npos, o_start, o_end, False)
        parts.append(replacement)
        npos += len(replacement)
        pos = o_end
    if pos < len(text):
        omap.add(npos, pos, len(text), True)
        parts.append(text[pos:])
    return "".join(parts), omap


def fold_text(norm: str) -> str:
    """Lower-case ``norm`` keeping its length (so offsets stay valid)."""
    folded = norm.lower()
    if len(folded) == len(norm):
        return folded
    return "".join(c if len(low := c.lower()) != 1 else low for c in norm)


def leet_text(fold: str) -> str:
    """Undo leetspeak inside mixed tokens ("sh1t" -> "shit"); same length as ``fold``."""
    if not _has_leet(fold):
        return fold

    def fix(match: re.Match[str]) -> str:
        token = match.group()
        core = token.rstrip("!|")
        lead = len(core) - len(core.lstrip("@"))  # an @handle keeps its @
        if not _HAS_LEET.search(core[lead:]):
            return token
        return core[:lead] + core[lead:].translate(_LEET_TABLE) + token[len(core) :]

    return _LEET_CANDIDATE.sub(fix, fold)
