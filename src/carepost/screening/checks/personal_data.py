"""personal_data: UK identifiers and contact details, validated where a checksum exists.

Kinds: phone, email, postcode, address, nhs_number (mod 11), chi_number (DDMMYY date +
mod 11), ni_number (HMRC prefix rules), date_of_birth (a date next to "born", "DOB"...).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from ..findings import Finding, make_finding
from ..prefilter import gate, literals_present, lowercase_twin
from ..scan import native
from ..text import Doc

EMAIL: Final = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# Ten digits in the usual groupings (3-3-4, 6-4, or run together).
TEN_DIGITS: Final = re.compile(
    r"(?<![\w+\-/.])(\d{3}[ -]?\d{3}[ -]?\d{4}|\d{6}[ -]?\d{4})(?![\w/]|[.,]\d)"
)
PHONE: Final = re.compile(r"(?<![\w+])(?:\+\s?44\s?(?:\(0\)\s?)?|\(?0)\d[\d \-()]{7,14}\d(?![\w])")
POSTCODE: Final = re.compile(
    r"(?<![\w-])((?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]?)"
    r"\s?[0-9][ABD-HJLNP-UW-Z]{2})(?![\w-])",
    re.IGNORECASE,
)
NINO: Final = re.compile(
    r"(?<![\w])((?!BG|GB|KN|NK|NT|TN|ZZ)(?:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]|QQ)"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D])(?![\w])"
)
STREET_TYPES: Final = (
    "Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Court|Ct|Crescent|Cres|Place|Pl|Terrace|"
    "Gardens|Gdns|Way|Close|Walk|Wynd|Square|Sq|Grove|Row|Brae|Loan|Gate|Vale|Mews|Parade|"
    "Quadrant|Circus|Green|Hill|View|Park|Rise|Path|Boulevard|Broadway|Hollow|Wharf|Quay"
)
_CAP: Final = r"(?:[A-Z][a-z']+|[A-Z]{2,}|Mc[A-Z][a-z]+|Mac[A-Z][a-z]+|St\.?)"
ADDRESS: Final = re.compile(
    r"(?<![\w/])((?:Flat|Unit|Apartment)\s+[\w/]+,?\s+)?\d{1,4}[A-Za-z]?(?:/\d{1,3})?,?\s+"
    rf"(?:{_CAP}\s+){{1,3}}(?:{STREET_TYPES})\b\.?"
)
HOUSE_ADDRESS: Final = re.compile(
    rf"\b(?:{_CAP}\s+){{1,2}}(?:Cottage|House|Farm|Farmhouse|Villa|Manse|Steading|Bungalow|Lodge|Croft|Mill)"
    rf",\s+(?:{_CAP}\s+){{1,3}}(?:{STREET_TYPES})\b"
)
_MONTHS: Final = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
DATE: Final = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})"
    rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?(?:,?\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)"
)
DOB: Final = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|birth\s?date|born(?:\s+on)?)\s*(?:is|was|:|-|\u2014)?\s*"
    rf"(?P<date>{DATE})(?![\w/])",
    re.IGNORECASE,
)

_DIGIT: Final = re.compile(r"\d")
_NON_DIGIT: Final = re.compile(r"\D")

# Cheap necessary conditions (re finds them much faster than the full patterns), run on
# ``Doc.fold``: ten digits start with two groups of three; a NINO has three pairs of
# digits; a date of birth needs one of its cue words; a phone number needs "0" and a
# digit, or "+"; a full postcode ends in digit (letter/digit) space digit letter letter.
_MAYBE_TEN: Final = re.compile(r"\d{3}[ -]?\d{3}")
_MAYBE_NINO: Final = re.compile(r"\d\d\s?\d\d")
_MAYBE_DOB: Final = re.compile(r"d\.?\s?o|birth|born")
_MAYBE_PHONE: Final = re.compile(r"0\d|\+")
_MAYBE_POSTCODE: Final = re.compile(r"\d[0-9a-z]?\s?\d[a-z][a-z]")
# The same tests as single loops in C when built (scan.py); the regexes are the spec.
_has_digit: Final = native("has_digit", lambda text: _DIGIT.search(text) is not None)
_maybe_ten: Final = native("maybe_ten_digits", lambda fold: _MAYBE_TEN.search(fold) is not None)
_maybe_nino: Final = native("maybe_nino", lambda fold: _MAYBE_NINO.search(fold) is not None)
_maybe_dob: Final = native("maybe_dob", lambda fold: _MAYBE_DOB.search(fold) is not None)
_maybe_phone: Final = native("maybe_phone", lambda fold: _MAYBE_PHONE.search(fold) is not None)
_maybe_postcode: Final = native(
    "maybe_postcode", lambda fold: _MAYBE_POSTCODE.search(fold) is not None
)
_DOB_FOLD: Final = lowercase_twin(DOB)  # the same matches on the lower-case fold
_ADDRESS: Final = gate(ADDRESS)
_HOUSE_ADDRESS: Final = gate(HOUSE_ADDRESS)

KIND_ACTIONS: Final = {
    "nhs_number": "block",
    "chi_number": "block",
    "ni_number": "block",
    "date_of_birth": "block",
    "phone": "review",
    "email": "review",
    "postcode": "review",
    "address": "review",
}
MESSAGES: Final = {
    "phone": "A phone number. Check it is the organisation's public number, not a person's.",
    "email": "An email address. Check it is the organisation's public address, not a person's.",
    "postcode": "A full postcode. It can show where somebody lives.",
    "address": "A street address. It can show where somebody lives or can be found.",
    "nhs_number": "An NHS number (valid check digit). Health identifiers must never be posted.",
    "chi_number": "A CHI number (valid date and check digit). "
    "Health identifiers must never be posted.",
    "ni_number": "A National Insurance number. It must never be posted.",
    "date_of_birth": "A date of birth. Share an age or a birthday only with consent, "
    "never the full date.",
}


def mod11_ok(digits: str) -> bool:
    """NHS and CHI check digit: weights 10..2 on the first nine digits."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def chi_date_ok(digits: str) -> bool:
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
            return True
        except ValueError:
            continue
    return False


def classify_ten_digits(digits: str, context: str) -> str | None:
    """'chi_number', 'nhs_number' or None for a 10-digit number (context: words just before)."""
    if not mod11_ok(digits):
        return None
    ctx = context.lower()
    if "nhs" in ctx:
        return "nhs_number"
    if "chi" in ctx.split() or "chi:" in ctx or "chi no" in ctx or ctx.rstrip().endswith("chi"):
        return "chi_number" if chi_date_ok(digits) else "nhs_number"
    if digits[0] in "0123" and chi_date_ok(digits):
        return "chi_number"
    return "nhs_number"


def _phone_ok(raw: str) -> bool:
    digits = "".join(c for c in raw if c.isdigit())
    if raw.lstrip().startswith("+"):
        if not digits.startswith("44"):
            return False
        rest = digits[2:]
        if rest.startswith("0"):
            rest = rest[1:]
        return 9 <= len(rest) <= 10 and rest[0] in "1235789"
    if not digits.startswith("0"):
        return False
    return len(digits) in (10, 11) and digits[1] in "1235789"


def find_personal_data(doc: Doc) -> list[tuple[str, int, int]]:
    """(kind, start, end) in the normalised text, overlaps resolved (IDs beat phone numbers)."""
    norm = doc.norm
    fold = doc.fold
    found: list[tuple[str, int, int]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    if "@" in norm:
        for m in EMAIL.finditer(norm):
            found.append(("email", m.start(), m.end()))
            taken.append(m.span())
    has_digit = _has_digit(norm)
    if has_digit:
        ten = TEN_DIGITS.finditer(norm) if _maybe_ten(fold) else ()
        for m in ten:
            digits = _NON_DIGIT.sub("", m.group())
            kind = classify_ten_digits(digits, norm[max(0, m.start() - 24) : m.start()])
            if kind and free(*m.span()):
                found.append((kind, m.start(), m.end()))
                taken.append(m.span())
        ninos = NINO.finditer(norm) if _maybe_nino(fold) else ()
        for m in ninos:
            if free(*m.span()):
                found.append(("ni_number", m.start(), m.end()))
                taken.append(m.span())
        dobs = _DOB_FOLD.finditer(fold) if _maybe_dob(fold) else ()
        for m in dobs:
            s, e = m.span("date")
            if free(s, e):
                found.append(("date_of_birth", s, e))
                taken.append((s, e))
        phones = PHONE.finditer(norm) if _maybe_phone(fold) else ()
        for m in phones:
            raw = m.group().rstrip(" -(")
            s, e = m.start(), m.start() + len(raw)
            if _phone_ok(raw) and free(s, e):
                found.append(("phone", s, e))
                taken.append((s, e))
        addresses = ADDRESS.finditer(norm) if _ADDRESS.seen(literals_present(doc)) else ()
        for m in addresses:
            if free(*m.span()):
                found.append(("address", m.start(), m.end()))
                taken.append(m.span())
        postcodes = POSTCODE.finditer(norm) if _maybe_postcode(fold) else ()
        for m in postcodes:
            if free(*m.span()) and any(c.isalpha() for c in m.group()[-2:]):
                found.append(("postcode", m.start(), m.end()))
                taken.append(m.span())
    houses = HOUSE_ADDRESS.finditer(norm) if _HOUSE_ADDRESS.maybe(doc) else ()
    for m in houses:
        if free(*m.span()):
            found.append(("address", m.start(), m.end()))
            taken.append(m.span())
    return found


def check_personal_data(doc: Doc) -> list[Finding]:
    findings = []
    for kind, s, e in doc.personal:
        start, end, text = doc.orig(s, e)
        findings.append(
            make_finding(
                "personal_data",
                f"personal_data.{kind}",
                KIND_ACTIONS[kind],
                start,
                end,
                text,
                MESSAGES[kind],
                None,  # person_id
                kind,
            )
        )
    return findings
