from __future__ import annotations

import pytest

from carepost.screening import screen


def people(text: str, register) -> list[str]:
    return screen(text, register=register).person_ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rose McAllister won the baking prize.", ["P01"]),
        ("Well done Margaret Anne Docherty!", ["P03"]),
        ("Mrs Docherty made the tea.", ["P03"]),
        ("mrs mcallister came to the party", ["P01"]),
        ("Peggy's scones were the best.", ["P03"]),
        ("Great day out with Mrs Mac and Wee May.", ["P01", "P07"]),
        ("Docherty, Margaret: room moved.", ["P03"]),
        ("Thanks to Ann-Marie and Annmarie's friends.", ["P24"]),
        ("Zoe and Siobhan ran the stall.", ["P11"]),
    ],
)
def test_every_register_form_of_a_name_is_found(register, text, expected):
    assert people(text, register) == expected


def test_common_word_names_are_told_apart_from_ordinary_words(register):
    assert people("The rose garden is in bloom and we hope you will visit in May.", register) == []
    assert people("Grace before meals is a tradition here.", register) == []
    assert people("Hope Street offices are closed.", register) == []
    assert people("Pay the bill at the dawn chorus walk.", register) == []


def test_common_word_names_are_found_by_case_and_context(register):
    assert people("We hope Hope enjoyed her party.", register) == ["P28"]
    assert people("Will will lead the singing.", register) == ["P02"]
    assert people("Sandy beaches today. Dawn manages her garden brilliantly.", register) == ["P33"]
    assert people("Hope's nativity was lovely.", register) == ["P28"]


def test_a_shared_first_name_flags_both_people(register):
    assert people("Jack has fixed the printer again.", register) == ["P17", "P26"]


def test_a_name_inside_a_hashtag_or_handle_is_found(register):
    assert people("#HappyBirthdayPeggy from all of us", register) == ["P03"]
    assert people("Say hi to @RoseMcAllister", register) == ["P01"]
    assert people("#happybirthdaypeggy", register) == ["P03"]


def test_a_one_letter_typo_in_a_long_name_is_found(register):
    report = screen("Margret won the raffle.", register=register)
    assert report.person_ids == ["P03"]
    assert report.findings[0].code == "person.typo"


def test_a_reversed_name_is_found(register):
    assert people("McAllister Rose is on the list.", register) == ["P01"]


def test_evasions_of_a_name_are_found(register):
    assert people("M\u0430rgaret Docherty", register) == ["P03"]  # Cyrillic a
    assert people("P\u200beggy baked", register) == ["P03"]  # zero-width space
    assert people("Congratulations to P e g g y today", register) == ["P03"]


def test_other_proper_nouns_next_to_a_name_are_not_people(register):
    assert people("Frank Sinatra, Robin Hood and the Union Jack.", register) == []
    assert people("Jack Thomson was her husband.", register) == []


def test_offsets_point_into_the_original_text(register):
    text = "Happy birthday P\u200beggy!"
    finding = screen(text, register=register).by_check("person")[0]
    assert text[finding.start : finding.end] == finding.text == "P\u200beggy"


def test_building_a_big_register_is_not_pathologically_slow():
    """Speed is measured by `make bench-screening`; this only catches quadratic blow-ups
    (the build takes about 1 s alone, so 20 s leaves room for a loaded CI machine)."""
    import time

    from carepost.screening import Register, RegisterPerson

    people_ = [
        RegisterPerson(f"S{i}", f"Person{i} Middle Surname{i}", f"Pers{i}") for i in range(10_000)
    ]
    start = time.perf_counter()
    Register.from_people(people_)
    assert time.perf_counter() - start < 20.0
