from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from carepost.screening import screen

CYRILLIC = {
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u043e",
    "i": "\u0456",
    "c": "\u0441",
    "p": "\u0440",
}


def obfuscate(word: str, choice: int, position: int) -> str:
    position %= len(word)
    if choice == 0:  # zero-width character
        return word[:position] + "\u200b" + word[position:]
    if choice == 1:  # look-alike letter
        return "".join(CYRILLIC.get(c, c) if k == position else c for k, c in enumerate(word))
    if choice == 2:  # spaced out
        return " ".join(word)
    return word.upper()


@settings(max_examples=60, deadline=None)
@given(choice=st.integers(0, 3), position=st.integers(0, 20))
def test_obfuscating_a_flagged_name_still_flags_it(register, choice, position):
    text = f"Lovely afternoon with {obfuscate('Peggy', choice, position)} today"
    assert "P03" in screen(text, register=register).person_ids


@settings(max_examples=60, deadline=None)
@given(
    word=st.sampled_from(["shite", "bastard", "retard", "wanker", "poofs"]),
    choice=st.integers(0, 3),
    position=st.integers(0, 20),
)
def test_obfuscating_a_slur_or_swear_word_still_flags_it(word, choice, position):
    assert screen(f"what a {obfuscate(word, choice, position)} day").by_check("offensive")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_screening_never_raises_on_arbitrary_unicode(register, text):
    report = screen(text, register=register)
    for finding in report.findings:
        assert 0 <= finding.start <= finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.text
