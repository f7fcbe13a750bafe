"""automaton.Automaton finds what pyahocorasick finds, in the same order."""

from __future__ import annotations

import ahocorasick
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepost.screening import automaton as automaton_module
from carepost.screening.automaton import Automaton
from carepost.screening.prefilter import _INDEX
from carepost.screening.rules import load_lexicon

LETTERS = "abc é\u0430\U0001f600"
WORDS = st.lists(st.text(alphabet=LETTERS, min_size=1, max_size=5), min_size=1, max_size=12)
TEXTS = st.text(alphabet=LETTERS + "xz\n", max_size=40)


def _both(words: list[str]) -> tuple[Automaton, ahocorasick.Automaton]:
    ours, theirs = Automaton(), ahocorasick.Automaton()
    for index, word in enumerate(words):
        ours.add_word(word, (index, word))
        theirs.add_word(word, (index, word))
    ours.make_automaton()
    theirs.make_automaton()
    return ours, theirs


@settings(max_examples=400, deadline=None)
@given(words=WORDS, text=TEXTS)
def test_same_matches_in_the_same_order_as_pyahocorasick(words, text):
    ours, theirs = _both(words)
    assert ours.iter(text) == list(theirs.iter(text))
    assert len(ours) == len(theirs)


def test_overlapping_and_nested_words():
    ours, theirs = _both(["he", "she", "his", "hers", "s", "e"])
    text = "ushers shehis"
    assert ours.iter(text) == list(theirs.iter(text))
    assert [value[1] for end, value in ours.iter("she")] == ["s", "she", "he", "e"]


def test_the_engine_automata_agree_on_real_text():
    """The literal index and the shared lexicon pass, rebuilt with pyahocorasick."""
    load_lexicon("special_category.toml", leet=False)
    lexicon_set = load_lexicon("offensive.toml").shared
    assert lexicon_set is not None
    texts = [
        " peggy was at the hospital with dementia and the police came ",
        " f u c k this shit ",
        "our office on mill road, apply by post",
        "caf\u00e9 \U0001f600 \u0430\u0431 xxxx aaaa",
    ]
    _INDEX._build()
    for built in (_INDEX._automaton, lexicon_set.automaton):
        reference = ahocorasick.Automaton()
        for key, value in built._words.items():
            reference.add_word(key, value)
        reference.make_automaton()
        for text in texts:
            assert built.iter(text) == list(reference.iter(text))


def test_empty_and_unbuilt_automata():
    empty = Automaton()
    empty.make_automaton()
    assert empty.iter("abc") == []
    with pytest.raises(ValueError):
        Automaton().add_word("", 1)
    built = Automaton()
    built.add_word("abc", 1)
    with pytest.raises(ValueError):
        built.iter("abc")  # make_automaton() first
    built.make_automaton()
    assert built.iter("xabcabc") == [(3, 1), (6, 1)]


def test_pure_python_build_uses_pyahocorasick(monkeypatch):
    monkeypatch.setattr(automaton_module, "NATIVE", None)
    built = Automaton()
    built.add_word("ab", "x")
    built.make_automaton()
    assert built.iter("abab") == [(1, "x"), (3, "x")]
