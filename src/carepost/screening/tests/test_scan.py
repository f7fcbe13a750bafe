"""The C scans (``_scan.c``) answer exactly what their regexes answer (scan.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepost.screening import normalise, scan, text
from carepost.screening.checks import personal_data

# name in _scan -> the regex answer it must give (the specification)
SPEC: dict[str, Callable[[str], Any]] = {
    "split_words": re.compile(r"([^\W_]+)").split,
    "non_ascii_positions": lambda s: [m.start() for m in normalise._NON_ASCII.finditer(s)],
    "has_non_ascii_word": lambda s: text._NON_ASCII_WORD.search(s) is not None,
    "maybe_spaced": lambda s: normalise._MAYBE_SPACED.search(s) is not None,
    "has_leet": lambda s: normalise._HAS_LEET.search(s) is not None,
    "has_digit": lambda s: personal_data._DIGIT.search(s) is not None,
    "maybe_ten_digits": lambda s: personal_data._MAYBE_TEN.search(s) is not None,
    "maybe_nino": lambda s: personal_data._MAYBE_NINO.search(s) is not None,
    "maybe_dob": lambda s: personal_data._MAYBE_DOB.search(s) is not None,
    "maybe_phone": lambda s: personal_data._MAYBE_PHONE.search(s) is not None,
    "maybe_postcode": lambda s: personal_data._MAYBE_POSTCODE.search(s) is not None,
}

# The characters the scans tell apart: ASCII letters, digits and the symbols they name,
# separators, Unicode letters, digits and spaces, marks, an emoji, and the rest of Unicode.
ALPHABET = (
    "abdhinortxyzAZ0123456789 .-+@$!|#_/'\t\n"
    "\u00e9\u00df\u0430\u03b1\u4e00\u0663\uff11\u00b2\u2155\u00a0\u2003\u200b\u0301"
    "\U0001f600\U0001d400"
)
TEXTS = st.one_of(
    st.text(alphabet=ALPHABET, max_size=24),
    st.text(alphabet=ALPHABET[:40], max_size=12),
    st.text(max_size=16),
)

native = pytest.mark.skipif(scan.NATIVE is None, reason="_scan is not built (pure Python)")


@native
@pytest.mark.parametrize("name", sorted(SPEC))
@settings(max_examples=600, deadline=None)
@given(sample=TEXTS)
def test_native_scan_matches_its_regex(name, sample):
    assert getattr(scan.NATIVE, name)(sample) == SPEC[name](sample)


@native
@pytest.mark.parametrize(
    ("name", "sample", "expected"),
    [
        ("maybe_spaced", "P e g g y", True),
        ("maybe_spaced", "s.h.i.t", True),
        ("maybe_spaced", "a b2", False),
        ("has_leet", "sh1t", True),
        ("has_leet", "@ss", True),
        ("has_leet", "x@ss", True),
        ("has_leet", "2024!", False),
        ("has_leet", "!ss", False),
        ("maybe_ten_digits", "943 476 5919", True),
        ("maybe_ten_digits", "94-476", False),
        ("maybe_nino", "ab 12 34 56 c", True),
        ("maybe_dob", "d. o b", True),
        ("maybe_dob", "was born", True),
        ("maybe_phone", "+44", True),
        ("maybe_phone", "0141", True),
        ("maybe_phone", "10 a", False),
        ("maybe_postcode", "pa3 1tj", True),
        ("maybe_postcode", "12ab", True),
        ("maybe_postcode", "1a ab", False),
        ("has_digit", "\u0663", True),
        ("has_digit", "\u00b2", False),
        ("split_words", "#Happy  b1rthday!", ["#", "Happy", "  ", "b1rthday", "!"]),
        ("split_words", "", [""]),
        ("non_ascii_positions", "caf\u00e9 \U0001f600", [3, 5]),
    ],
)
def test_native_scan_examples(name, sample, expected):
    assert getattr(scan.NATIVE, name)(sample) == expected == SPEC[name](sample)


def test_native_scans_refuse_non_strings():
    if scan.NATIVE is None:
        pytest.skip("_scan is not built (pure Python)")
    for name in SPEC:
        with pytest.raises(TypeError):
            getattr(scan.NATIVE, name)(b"bytes")


def test_compiled_engine_uses_the_native_scans():
    """make builds both; a compiled engine without the scans would be a broken build."""
    if text.COMPILED:
        assert scan.NATIVE is not None
        assert text.split_words is scan.NATIVE.split_words
    else:
        assert text.split_words("a b") == ["", "a", " ", "b", ""]
