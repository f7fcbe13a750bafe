from __future__ import annotations

import pytest

from carepost.screening import screen


def codes(text: str) -> list[str]:
    return [f.code for f in screen(text).by_check("offensive")]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("This rota is a fucking joke", "profanity"),
        ("What a load of bollocks", "profanity"),
        ("you absolute knobhead", "profanity"),
        ("they're all retards", "slur_disability"),
        ("a total mong", "slur_disability"),
        ("stop being a spaz", "slur_disability"),
        ("the paki shop", "slur_racial"),
        ("thieving paddies", "slur_racial"),
        ("dirty fenian", "slur_religious"),
        ("all poofs and glitter", "slur_sexuality"),
        ("I'd give her one after shift", "sexual"),
        ("shut up you stupid idiot", "insult"),
        ("I'll batter them senseless", "violence"),
        ("I can get coke and pingers", "drugs"),
        ("a bag of grass for your trouble", "drugs"),
        ("50 free spins at the casino", "gambling"),
        ("Remigration now", "extremism"),
        ("go back to your own country", "extremism"),
        ("service users are animals", "extremism"),
    ],
)
def test_each_offensive_category_is_caught(text, category):
    assert f"offensive.{category}" in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "f*ck this",
        "c**t",
        "sh1t weather",
        "b!tch",
        "sh\u0456te",
        "f\u200buck off",
        "s h i t day",
        "fuuuuck",
        "P@ki",
    ],
)
def test_obfuscated_offensive_words_are_caught(text):
    assert codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Visit our new cafe in Scunthorpe.",
        "Dick Whittington panto tickets are on sale.",
        "A day trip to Penistone and Cockermouth.",
        "Great tits and blue tits at the feeder.",
        "Shiitake mushroom risotto tonight.",
        "Cock-a-leekie soup and spotted dick.",
        "The pussy willow is out.",
        "Our cocker spaniel visited; bring your own shuttlecock.",
        "What a bloody brilliant day!",
        "Killing it at karaoke, we battered them 6-0 at football.",
        "The bath bombs went down a bomb.",
        "Pulling weeds and potting herbs.",
        "Raffle tickets and a tombola at the fair.",
        "Our support worker Fanny Brown retires today.",
        "A dry stone dyke and a finger prick test.",
        "We had a ball at the party; cocktail hour at six.",
    ],
)
def test_false_alarm_traps_stay_quiet(text):
    assert codes(text) == []
