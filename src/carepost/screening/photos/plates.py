"""UK vehicle registration plates in text read from a photo (OCR text only).

A car outside a care home or a person's house identifies the place (and often the
person). The pattern runs on OCR lines only, never on post text (where "AB12 CDE"-like
strings are rare and the text engine's ``personal_data`` kinds stay as documented).
Reported as ``personal_data`` with kind ``vehicle_registration`` (review).

Formats (DVLA): current since 2001 "AB12 CDE" (memory tag letters without I, Q, Z; age
identifier 02-29 or 51-79; three random letters without I, Q); prefix 1983-2001
"A123 BCD"; suffix 1963-1983 "ABC 123D". Dateless and Northern Ireland plates
("ABZ 1234") are too close to ordinary codes to match without a plate context.
"""

from __future__ import annotations

import re

from ..findings import Finding

_CURRENT = r"[A-HJ-PR-Y][A-HJ-PR-Y](?:0[2-9]|[12][0-9]|5[1-9]|[67][0-9])\s?[A-HJ-PR-Z]{3}"
_PREFIX = r"[A-HJ-NP-Y][1-9][0-9]{0,2}\s?[A-HJ-PR-Y]{3}"
_SUFFIX = r"[A-HJ-PR-Y]{3}\s?[1-9][0-9]{0,2}[A-HJ-NP-Y]"
PLATE = re.compile(rf"(?<![A-Za-z0-9])(?:{_CURRENT}|{_PREFIX}|{_SUFFIX})(?![A-Za-z0-9])")

MESSAGE = (
    "A car number plate can be read in this photo. It can show where the photo was taken "
    "or whose car it is: blur it or choose another photo."
)


def find_plates(text: str) -> list[Finding]:
    """Plate findings in OCR text (offsets into ``text``), source "image"."""
    out = []
    for match in PLATE.finditer(text):
        value = match.group(0)
        if not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
            continue
        out.append(
            Finding(
                check="personal_data",
                code="personal_data.vehicle_registration",
                action="review",
                start=match.start(),
                end=match.end(),
                text=value,
                message=MESSAGE,
                kind="vehicle_registration",
                source="image",
            )
        )
    return out
