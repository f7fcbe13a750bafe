from __future__ import annotations

import pytest

from carepost.screening import screen
from carepost.screening.checks.personal_data import chi_date_ok, mod11_ok


def kinds(text: str) -> list[str]:
    return sorted({f.kind for f in screen(text).by_check("personal_data") if f.kind})


def test_nhs_number_needs_a_valid_mod_11_check_digit():
    assert mod11_ok("9434765919")
    assert not mod11_ok("9434765918")
    assert kinds("NHS no. 943 476 5919") == ["nhs_number"]
    assert kinds("Order reference 401 023 2175") == []


def test_chi_number_needs_a_real_date_and_a_check_digit():
    assert chi_date_ok("0505421860") and mod11_ok("0505421860")
    assert kinds("CHI 050542 1860") == ["chi_number"]
    assert kinds("CHI 320542 1860") != ["chi_number"]


def test_ni_number_follows_hmrc_prefix_rules():
    assert kinds("NI number AB 12 34 56 C") == ["ni_number"]
    assert kinds("ref GB 12 34 56 C") == []


@pytest.mark.parametrize("text", ["PA2 8TN", "pa2 6dx", "G78 1QQ", "SW1A 1AA"])
def test_full_postcodes_are_found_in_any_case(text):
    assert kinds(f"Send it to {text} please") == ["postcode"]


def test_an_outward_code_alone_is_not_a_postcode():
    assert kinds("Our Paisley PA1 office is closed") == []


@pytest.mark.parametrize(
    "text",
    [
        "0141 496 0123",
        "+44 7700 900123",
        "(01224) 555 123",
        "07911123456",
        "\uff10\uff11\uff14\uff11 \uff14\uff19\uff16 \uff10\uff15\uff17\uff12",
    ],
)
def test_uk_phone_numbers_are_found_in_any_format(text):
    assert kinds(f"Call {text} today") == ["phone"]


def test_999_is_not_a_phone_number():
    assert kinds("In an emergency call 999.") == []


def test_email_addresses_are_found():
    assert kinds("Email jobs@braeview-care.org.uk now") == ["email"]


def test_street_addresses_are_found():
    assert kinds("She lives at 7 Glenfield Road now") == ["address"]
    assert kinds("At Rowan Cottage, Kirk Street, Kilbarchan") == ["address"]


def test_dates_of_birth_need_a_birth_cue():
    assert kinds("DOB: 12/06/1948") == ["date_of_birth"]
    assert kinds("born on the 5th of May 1942") == ["date_of_birth"]
    assert kinds("The fair is on 12/06/2025") == []
