"""location: where a person supported lives or can be found now, or where a secret service is.

Rules, in order:
- ``location.secret_service``: the street or postcode of a service marked secret.
- ``location.address``: a street address (from personal_data) that is not the
  organisation's own office ("apply", "donate", "head office"...).
- ``location.street``: a named street together with people supported or a home
  ("her flat on Calside Court", "our house on Mill Road", "the refuge on Craigie Street").
- ``location.live``: a live check-in ("we're at Pollok Park right now with...").
- ``location.school``: the school a named young person attends.
- ``location.hospital``: a named person is in hospital now ("in ward 7").
"""

from __future__ import annotations

import re
from typing import Final

from ..findings import Finding, make_finding
from ..normalise import fold_text, normalise
from ..prefilter import gate, literals_present, lowercase_twin
from ..register import Register
from ..text import Doc
from .personal_data import POSTCODE, STREET_TYPES

_CAPWORD: Final = r"(?:[A-Z][a-z']+|St\.?|Mc[A-Z][a-z]+|Mac[A-Z][a-z]+)"
_STREET_ONLY: Final = STREET_TYPES.replace("|Green|Hill|View|Park", "").replace("|Gate", "")
STREET: Final = re.compile(rf"\b((?:{_CAPWORD} ){{1,3}}(?:{_STREET_ONLY}))\b")
SECRET_PLACE: Final = re.compile(
    r"\b(?:refuge|refuges|safe house|women's aid|shelter|children's house|children's home)\b",
    re.IGNORECASE,
)
ORG_CUE: Final = re.compile(
    r"\b(?:office|offices|head office|hq|headquarters|hr team|admin team|apply|application|"
    r"applications|cheque|cheques|donate|donation|donations|recruitment|interview|careers|"
    r"vacancy|vacancies|hiring|post to|by post|registered office|reception|charity shop|"
    r"our shop|open day|open morning)\b",
    re.IGNORECASE,
)
HOME_CUE: Final = re.compile(
    r"\b(?:flat|house|home|lives|living|tenancy|moved|moving|bedroom|young people|young person|"
    r"residents?|tenants?|children's house|refuge|shelter|safe house|placement|neighbours|"
    r"street where|driveway|garden|door)\b",
    re.IGNORECASE,
)
STRONG_NOW: Final = re.compile(
    r"\b(?:right now|just now|live from|currently|at the moment)\b", re.IGNORECASE
)
WEAK_NOW: Final = re.compile(
    r"\b(?:this (?:morning|afternoon|evening)|today|tonight|until (?:about |around )?\d|"
    r"till (?:about |around )?\d|come (?:and|&|n) (?:say|find|join|see|cheer|wave|buy)|"
    r"wave if you see|pop in if|if you'?re passing)",
    re.IGNORECASE,
)
PRESENCE: Final = re.compile(
    r"\b(?:we'?re|we are|are (?:all |currently )?(?:at|in|on|by|down at|up at|out at)|"
    r"is (?:at|in|on) the|here at|sitting in|out at)\b",
    re.IGNORECASE,
)
PLACE: Final = re.compile(r"\b(?i:at|in|on|by|behind|from|outside|inside|near) (?:the )?[A-Z]")
SCHOOL: Final = re.compile(
    r"\b((?:St\.? )?(?:[A-Z][\w']+ ){1,3}(?:High School|Primary School|Academy|Grammar School|"
    r"Secondary School|Nursery|High(?! Street| Road| Tea| St)|Primary|Grammar|College|School))\b"
)
HOSPITAL: Final = re.compile(
    r"\b(?:in|on) ward \d+\b|\b(?:is|are|'s) (?:now |currently |still )?in (?:hospital|the "
    r"(?:[A-Z][\w']+ ){1,4}(?:Hospital|Infirmary))\b"
)


# The case-insensitive cues run on the lower-case ``fold`` without IGNORECASE (the same
# matches, faster; prefilter.lowercase_twin).
_SECRET_PLACE_FOLD: Final = lowercase_twin(SECRET_PLACE)
_ORG_CUE_FOLD: Final = lowercase_twin(ORG_CUE)
_HOME_CUE_FOLD: Final = lowercase_twin(HOME_CUE)
_STRONG_NOW_FOLD: Final = lowercase_twin(STRONG_NOW)
_WEAK_NOW_FOLD: Final = lowercase_twin(WEAK_NOW)
_PRESENCE_FOLD: Final = lowercase_twin(PRESENCE)

# Literal pre-filters: each regex runs only when the words it needs are in the post.
_STREET: Final = gate(STREET)
_SECRET_PLACE: Final = gate(SECRET_PLACE)
_ORG_CUE: Final = gate(ORG_CUE)
_HOME_CUE: Final = gate(HOME_CUE)
_STRONG_NOW: Final = gate(STRONG_NOW)
_WEAK_NOW: Final = gate(WEAK_NOW)
_SCHOOL: Final = gate(SCHOOL)
_HOSPITAL: Final = gate(HOSPITAL)


def _finding(doc: Doc, code: str, action: str, s: int, e: int, message: str) -> Finding:
    start, end, text = doc.orig(s, e)
    return make_finding("location", code, action, start, end, text, message)


def _secret_keys(register: Register) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for service in register.services:
        if service.sensitivity != "secret" or not service.address:
            continue
        norm = normalise(service.address)[0]
        for m in STREET.finditer(norm):
            keys.append((fold_text(m.group(1)), service.name))
        for m in POSTCODE.finditer(norm):
            keys.append((fold_text(m.group(1)).replace(" ", ""), service.name))
    return keys


def check_location(doc: Doc, register: Register) -> list[Finding]:
    norm, fold = doc.norm, doc.fold
    findings: list[Finding] = []
    named = bool(doc.mentions)

    # secret services
    if register.services:
        squashed = fold.replace(" ", "")
        for key, service in _secret_keys(register):
            for m in re.finditer(re.escape(key), fold if " " in key else squashed):
                if " " in key:
                    s, e = m.span()
                else:
                    # map the squashed offset back: count non-space chars
                    s = e = -1
                    count = 0
                    for index, ch in enumerate(fold):
                        if ch == " ":
                            continue
                        if count == m.start():
                            s = index
                        count += 1
                        if count == m.end():
                            e = index + 1
                            break
                    if s < 0 or e < 0:
                        continue
                findings.append(
                    _finding(
                        doc,
                        "location.secret_service",
                        "block",
                        s,
                        e,
                        f"Reveals where {service} is. Its location is secret.",
                    )
                )

    sentences = len(doc.sentence_starts)

    def sentence_text(index: int) -> tuple[int, int]:
        return doc.sentence_span(index)

    present = literals_present(doc)
    org_cue = _ORG_CUE.seen(present)

    # addresses from personal_data
    for kind, s, e in doc.personal:
        if kind != "address":
            continue
        index = doc.sentence_of_offset(s)
        a, b = sentence_text(index)
        if org_cue and (
            _ORG_CUE_FOLD.search(fold, a, b) or (not named and _ORG_CUE_FOLD.search(fold))
        ):
            continue
        findings.append(
            _finding(
                doc,
                "location.address",
                "review",
                s,
                e,
                "A street address linked to the people we support: it shows where "
                "somebody lives or can be found.",
            )
        )

    # streets named near people supported or a home
    address_spans = [(s, e) for kind, s, e in doc.personal if kind == "address"]
    streets = STREET.finditer(norm) if _STREET.seen(present) else ()
    secret_place = _SECRET_PLACE.seen(present)
    home_cue: bool | None = None
    for m in streets:
        s, e = m.span(1)
        if any(a <= s < b for a, b in address_spans):
            continue
        index = doc.sentence_of_offset(s)
        a, b = sentence_text(index)
        if secret_place and _SECRET_PLACE_FOLD.search(fold, a, b):
            findings.append(
                _finding(
                    doc,
                    "location.secret_service",
                    "block",
                    s,
                    e,
                    "Names the street of a refuge or children's house.",
                )
            )
            continue
        if org_cue and _ORG_CUE_FOLD.search(fold, a, b):
            continue
        if home_cue is None:
            home_cue = _HOME_CUE_FOLD.search(fold) is not None if _HOME_CUE.seen(present) else False
        if named or home_cue:
            findings.append(
                _finding(
                    doc,
                    "location.street",
                    "review",
                    s,
                    e,
                    "Names the street where somebody we support lives or can be "
                    "found (or where a service is).",
                )
            )

    # live check-ins
    strong_now = _STRONG_NOW.seen(present)
    weak_now = _WEAK_NOW.seen(present)
    if not (strong_now or weak_now):
        sentences = 0
    for index in range(sentences):
        a, b = sentence_text(index)
        strong = strong_now and _STRONG_NOW_FOLD.search(fold, a, b)
        if strong and PLACE.search(norm, a, b):
            findings.append(
                _finding(
                    doc,
                    "location.live",
                    "review",
                    a,
                    b,
                    "Says where people we support are right now. Post it after you have left.",
                )
            )
            continue
        if (
            weak_now
            and _WEAK_NOW_FOLD.search(fold, a, b)
            and _PRESENCE_FOLD.search(fold, a, b)
            and PLACE.search(norm, a, b)
        ):
            findings.append(
                _finding(
                    doc,
                    "location.live",
                    "review",
                    a,
                    b,
                    "Says where people we support are right now. Post it after you have left.",
                )
            )

    # schools and hospitals of named people
    if named and _SCHOOL.seen(present):
        for m in SCHOOL.finditer(norm):
            s, e = m.span(1)
            findings.append(
                _finding(
                    doc,
                    "location.school",
                    "block",
                    s,
                    e,
                    "Names the school or college somebody we support attends.",
                )
            )
    if named and _HOSPITAL.seen(present):
        for m in HOSPITAL.finditer(norm):
            findings.append(
                _finding(
                    doc,
                    "location.hospital",
                    "review",
                    m.start(),
                    m.end(),
                    "Says where somebody we support can be found now.",
                )
            )
    return findings
