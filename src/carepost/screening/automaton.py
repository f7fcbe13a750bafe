"""Aho-Corasick for the engine's two per-post scans, as a dense table walked in C.

The literal index (prefilter.py) and the shared lexicon pass (rules.py) run an
Aho-Corasick automaton over every post. pyahocorasick follows its trie one child list
at a time, which makes it the largest single cost left per post. ``Automaton`` keeps
pyahocorasick's interface and results (``add_word``, ``make_automaton``, ``iter``
yielding ``(end index, value)`` in pyahocorasick's order: by end, then longest word
first) but compiles the words into a full transition table over character classes,
which ``_scan.dfa_scan`` walks with one table look-up per character. Without the C
scans (a pure-Python build) it is pyahocorasick itself. tests/test_automaton.py checks
both give the same matches in the same order.
"""

from __future__ import annotations

from array import array
from collections import deque
from typing import Any

import ahocorasick

from .scan import NATIVE


class Automaton:
    """A drop-in for the part of ``ahocorasick.Automaton`` the engine uses."""

    def __init__(self) -> None:
        self._words: dict[str, Any] = {}
        self._tables: tuple[bytes, int, bytes, bytes, bytes, bytes] | None = None
        self._outputs: list[tuple[Any, ...]] = []
        self._fallback: Any = None

    def add_word(self, key: str, value: Any) -> None:
        if not key:
            raise ValueError("an empty word")
        self._words[key] = value
        self._tables = None
        self._fallback = None

    def __len__(self) -> int:
        return len(self._words)

    def make_automaton(self) -> None:
        if NATIVE is None:
            fallback = ahocorasick.Automaton()
            for key, value in self._words.items():
                fallback.add_word(key, value)
            if self._words:
                fallback.make_automaton()
            self._fallback = fallback
            return
        self._build()

    def _build(self) -> None:
        alphabet = sorted({ch for word in self._words for ch in word})
        classes = {ch: index + 1 for index, ch in enumerate(alphabet)}  # 0: any other
        width = len(alphabet) + 1
        if width > 255:
            raise ValueError("too many distinct characters for the table")
        # the trie
        children: list[dict[int, int]] = [{}]
        word_at: list[Any] = [None]
        has_word: list[bool] = [False]
        for key, value in self._words.items():
            state = 0
            for ch in key:
                cls = classes[ch]
                nxt = children[state].get(cls)
                if nxt is None:
                    nxt = len(children)
                    children[state][cls] = nxt
                    children.append({})
                    word_at.append(None)
                    has_word.append(False)
                state = nxt
            word_at[state] = value
            has_word[state] = True
        # failure links breadth first; the full transition table; each state's words:
        # its own, then those of its failure chain (pyahocorasick's order)
        count = len(children)
        delta = array("i", bytes(4 * count * width))
        fail = [0] * count
        outputs: list[tuple[Any, ...]] = [()] * count
        queue: deque[int] = deque()
        for cls, nxt in children[0].items():
            delta[cls] = nxt
            queue.append(nxt)
        while queue:
            state = queue.popleft()
            own = (word_at[state],) if has_word[state] else ()
            outputs[state] = own + outputs[fail[state]]
            row = state * width
            fail_row = fail[state] * width
            for cls in range(width):
                nxt = children[state].get(cls)
                if nxt is None:
                    delta[row + cls] = delta[fail_row + cls]
                else:
                    fail[nxt] = delta[fail_row + cls] if state else 0
                    delta[row + cls] = nxt
                    queue.append(nxt)
        ascii_classes = bytearray(128)
        wide = sorted((ord(ch), cls) for ch, cls in classes.items() if ord(ch) >= 128)
        for ch, cls in classes.items():
            if ord(ch) < 128:
                ascii_classes[ord(ch)] = cls
        self._outputs = outputs
        self._tables = (
            delta.tobytes(),
            width,
            bytes(ascii_classes),
            array("i", [code for code, _ in wide]).tobytes(),
            array("i", [cls for _, cls in wide]).tobytes(),
            bytes(1 if out else 0 for out in outputs),
        )

    def iter(self, text: str) -> list[tuple[int, Any]]:
        """Every occurrence of every word: (index of its last character, its value)."""
        if self._fallback is not None:
            return list(self._fallback.iter(text)) if self._words else []
        tables = self._tables
        if tables is None or NATIVE is None:
            raise ValueError("make_automaton() first")
        flat: list[int] = NATIVE.dfa_scan(tables, text)
        outputs = self._outputs
        found: list[tuple[int, Any]] = []
        for k in range(0, len(flat), 2):
            end = flat[k]
            for value in outputs[flat[k + 1]]:
                found.append((end, value))
        return found
