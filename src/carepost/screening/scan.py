"""The per-post character scans in C, when they are built.

Every post goes through a handful of cheap tests before the real work: is there a
digit, leetspeak, spaced-out letters, a non-ASCII word character; where are the
non-ASCII characters; what are the words. Each is written next to where it is used as a
regular expression, which is its specification. ``re`` tries such a pattern at every
position through its generic matcher; ``_scan.c`` does the same test as one plain loop
over the characters, several times faster. ``native(name, fallback)`` returns the C
function when ``tools/build_screening.py`` has built ``_scan`` and the regex-based
fallback otherwise; the two give the same answer for every str (tests/test_scan.py).
See docs/decisions/0044-native-scans.md.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")


def load(name: str) -> ModuleType | None:
    """One of the engine's C extensions (``_scan``, ``_slots``), or None when it is not
    built (``CAREPOST_SCREENING_PURE=1``, no compiler)."""
    try:
        return importlib.import_module(f"carepost.screening.{name}")
    except ImportError:
        return None


NATIVE: ModuleType | None = load("_scan")


def native(name: str, fallback: Callable[[str], T]) -> Callable[[str], T]:
    """The C version of a scan if it is built, else ``fallback`` (its specification)."""
    if NATIVE is None:
        return fallback
    function: Callable[[str], T] = getattr(NATIVE, name)
    return function
