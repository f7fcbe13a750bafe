"""Bluesky text rules: grapheme counting, facets with UTF-8 byte offsets, record keys.

Bluesky limits a post to 300 graphemes (what a reader sees as one character: "é" typed
as e + combining accent, a flag, a family emoji joined with zero-width joiners) and
marks links, mentions and hashtags with "facets" that point at UTF-8 byte ranges, not
at Python string indexes.

Grapheme clusters: the `regex` module (`\\X`) is not a Carepost dependency (only the
benchmark environment pulls it in), so `grapheme_clusters` implements the extended
grapheme cluster rules of Unicode UAX #29 (GB3-GB13) from `unicodedata` plus the small
property tables below. Where it approximates:

- Grapheme_Cluster_Break is derived from general categories (Mn/Me and the listed
  Grapheme_Extend exceptions are Extend, other Mc are SpacingMark, Cc/Cf/Zl/Zp are
  Control) rather than read from the Unicode data file;
- Extended_Pictographic is the emoji-data range list below (Unicode 15), so a future
  emoji outside these ranges joined with ZWJ counts as two graphemes;
- the Unicode 15.1 Indic conjunct rule (GB9c) is not applied: a Devanagari conjunct
  such as "क्ष" counts as two, where newer segmenters count one. This only ever
  over-counts, so a post we accept is never longer than Bluesky allows.
- `unicodedata` follows the Unicode version of this Python (3.11: Unicode 14).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from functools import lru_cache

# Grapheme_Cluster_Break classes
CR, LF, CONTROL, EXTEND, ZWJ, RI, PREPEND, SPACING, L, V, T, LV, LVT, OTHER = range(14)

# Extended_Pictographic (emoji-data.txt), as closed ranges.
_PICTOGRAPHIC = (
    (0x00A9, 0x00A9), (0x00AE, 0x00AE), (0x203C, 0x203C), (0x2049, 0x2049),
    (0x2122, 0x2122), (0x2139, 0x2139), (0x2194, 0x2199), (0x21A9, 0x21AA),
    (0x231A, 0x231B), (0x2328, 0x2328), (0x2388, 0x2388), (0x23CF, 0x23CF),
    (0x23E9, 0x23F3), (0x23F8, 0x23FA), (0x24C2, 0x24C2), (0x25AA, 0x25AB),
    (0x25B6, 0x25B6), (0x25C0, 0x25C0), (0x25FB, 0x25FE), (0x2600, 0x2605),
    (0x2607, 0x2612), (0x2614, 0x2685), (0x2690, 0x2705), (0x2708, 0x2712),
    (0x2714, 0x2714), (0x2716, 0x2716), (0x271D, 0x271D), (0x2721, 0x2721),
    (0x2728, 0x2728), (0x2733, 0x2734), (0x2744, 0x2744), (0x2747, 0x2747),
    (0x274C, 0x274C), (0x274E, 0x274E), (0x2753, 0x2755), (0x2757, 0x2757),
    (0x2763, 0x2767), (0x2795, 0x2797), (0x27A1, 0x27A1), (0x27B0, 0x27B0),
    (0x27BF, 0x27BF), (0x2934, 0x2935), (0x2B05, 0x2B07), (0x2B1B, 0x2B1C),
    (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x3030, 0x3030), (0x303D, 0x303D),
    (0x3297, 0x3297), (0x3299, 0x3299), (0x1F000, 0x1F0FF), (0x1F10D, 0x1F10F),
    (0x1F12F, 0x1F12F), (0x1F16C, 0x1F171), (0x1F17E, 0x1F17F), (0x1F18E, 0x1F18E),
    (0x1F191, 0x1F19A), (0x1F1AD, 0x1F1E5), (0x1F201, 0x1F20F), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F23A), (0x1F23C, 0x1F23F), (0x1F249, 0x1F3FA),
    (0x1F400, 0x1F53D), (0x1F546, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F774, 0x1F77F),
    (0x1F7D5, 0x1F7FF), (0x1F80C, 0x1F80F), (0x1F848, 0x1F84F), (0x1F85A, 0x1F85F),
    (0x1F888, 0x1F88F), (0x1F8AE, 0x1F8FF), (0x1F90C, 0x1F93A), (0x1F93C, 0x1F945),
    (0x1F947, 0x1FAFF), (0x1FC00, 0x1FFFD),
)  # fmt: skip

# Spacing marks (Mc) and others that Unicode lists as Grapheme_Extend, so Extend.
_EXTEND_EXTRA = frozenset(
    (
        *(0x09BE, 0x09D7, 0x0B3E, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5, 0x0CD6, 0x0D3E),
        *(0x0D57, 0x0DCF, 0x0DDF, 0x1B35, 0x302E, 0x302F, 0xFF9E, 0xFF9F, 0x1133E, 0x11357),
        *(0x114B0, 0x114BD, 0x115AF, 0x11930, 0x1D165, *range(0x1D16E, 0x1D173), 0x200C),
    )
)
# Not Mc, yet SpacingMark: Thai and Lao SARA AM.
_SPACING_EXTRA = frozenset([0x0E33, 0x0EB3])
# Prepended concatenation marks and the few Indic prefixes that are Prepend.
_PREPEND = frozenset(
    (
        *(*range(0x0600, 0x0606), 0x06DD, 0x070F, 0x0890, 0x0891, 0x08E2, 0x0D4E, 0x110BD),
        *(0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A, *range(0x11A84, 0x11A8A)),
        0x11D46,
    )
)


def _pictographic(cp: int) -> bool:
    if cp < 0x00A9:
        return False
    lo, hi = 0, len(_PICTOGRAPHIC) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        start, end = _PICTOGRAPHIC[mid]
        if cp < start:
            hi = mid - 1
        elif cp > end:
            lo = mid + 1
        else:
            return True
    return False


@lru_cache(maxsize=4096)
def _properties(char: str) -> tuple[int, bool]:
    """(Grapheme_Cluster_Break class, Extended_Pictographic) of one code point."""
    cp = ord(char)
    if cp == 0x0D:
        return CR, False
    if cp == 0x0A:
        return LF, False
    if cp == 0x200D:
        return ZWJ, False
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return RI, False
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or cp in _EXTEND_EXTRA:
        return EXTEND, False  # emoji skin-tone modifiers and tag characters are Extend
    if cp in _PREPEND:
        return PREPEND, False
    if cp in _SPACING_EXTRA:
        return SPACING, False
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return L, False
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return V, False
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return T, False
    if 0xAC00 <= cp <= 0xD7A3:
        return (LV if (cp - 0xAC00) % 28 == 0 else LVT), False
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):
        return EXTEND, False
    if category == "Mc":
        return SPACING, False
    if category in ("Cc", "Zl", "Zp") or (category == "Cf" and cp not in (0x200C, 0x200D)):
        return CONTROL, False
    return OTHER, _pictographic(cp)


def grapheme_clusters(text: str) -> list[str]:
    """Split text into extended grapheme clusters (UAX #29, see the module notes)."""
    clusters: list[str] = []
    start = 0
    prev = -1
    ri_run = 0  # regional indicators in a row just before this character
    emoji_state = 0  # 1: ExtPict Extend*; 2: ExtPict Extend* ZWJ
    for i, char in enumerate(text):
        cls, pictographic = _properties(char)
        if i and _is_break(prev, cls, pictographic, ri_run, emoji_state):
            clusters.append(text[start:i])
            start = i
        ri_run = ri_run + 1 if cls == RI else 0
        if pictographic or (emoji_state == 1 and cls == EXTEND):
            emoji_state = 1
        elif emoji_state == 1 and cls == ZWJ:
            emoji_state = 2
        else:
            emoji_state = 0
        prev = cls
    if start < len(text):
        clusters.append(text[start:])
    return clusters


def _is_break(prev: int, cur: int, pictographic: bool, ri_run: int, emoji_state: int) -> bool:
    if prev == CR and cur == LF:  # GB3
        return False
    if prev in (CONTROL, CR, LF) or cur in (CONTROL, CR, LF):  # GB4, GB5
        return True
    if prev == L and cur in (L, V, LV, LVT):  # GB6
        return False
    if prev in (LV, V) and cur in (V, T):  # GB7
        return False
    if prev in (LVT, T) and cur == T:  # GB8
        return False
    if cur in (EXTEND, ZWJ, SPACING):  # GB9, GB9a
        return False
    if prev == PREPEND:  # GB9b
        return False
    if prev == ZWJ and emoji_state == 2 and pictographic:  # GB11
        return False
    # GB12, GB13: regional indicators pair up into flags.
    return not (prev == RI and cur == RI and ri_run % 2 == 1)


def grapheme_count(text: str) -> int:
    return len(grapheme_clusters(text))


def utf8_offset(text: str, index: int) -> int:
    """The byte offset in UTF-8 of the string index `index` (what facets point at)."""
    return len(text[:index].encode("utf-8"))


# -- record keys ----------------------------------------------------------------------
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MICROSECOND = timedelta(microseconds=1)


def tid(timestamp_us: int, clock_id: int) -> str:
    """An AT Protocol TID: 13 base32-sortable characters of a 64-bit integer.

    The top bit is 0, then 53 bits of microseconds since the UNIX epoch, then a 10-bit
    clock identifier (atproto.com/specs/tid).
    """
    if not 0 <= timestamp_us < 2**53 or not 0 <= clock_id < 1024:
        raise ValueError("timestamp or clock id out of range for a TID")
    value = (timestamp_us << 10) | clock_id
    return "".join(TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def tid_for(created_at: datetime, pk: int) -> str:
    """The record key of a publication: the same every time it is sent.

    The time the publication row was created (microseconds) and its id modulo 1024 as
    the clock identifier. Two publications share a key only if they were created in the
    same microsecond with ids 1024 apart; the connector still checks the text of an
    existing record before calling it ours.
    """
    micros = (created_at - _EPOCH) // _ONE_MICROSECOND
    return tid(micros, pk % 1024)


def tid_timestamp(value: str) -> int:
    """Microseconds since the epoch encoded in a TID (for tests and checks)."""
    number = 0
    for char in value:
        number = number * 32 + TID_ALPHABET.index(char)
    return number >> 10
