"""Word lists shipped with the engine (loaded once, lazily)."""

from __future__ import annotations

from functools import cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files("carepost.screening").joinpath("data", name).read_text("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def english_words() -> frozenset[str]:
    """Lower-case English words (SCOWL via Debian wbritish) plus Scots colloquial words."""
    return frozenset(_lines("words_en.txt")) | scots_words()


@cache
def scots_words() -> frozenset[str]:
    return frozenset(_lines("scots_words.txt"))


@cache
def given_names() -> frozenset[str]:
    return frozenset(_lines("given_names.txt"))


@cache
def name_false_friends() -> tuple[str, ...]:
    return tuple(_lines("name_false_friends.txt"))


def data_lines(name: str) -> list[str]:
    return _lines(name)
