"""The SSSC Codes of Practice, kept as data (numbers and our own short topics only).

Two editions ship: 2024 (the default) and 2016. Correct a number in one place:
`data/codes_<edition>.json`. The full wording lives on the SSSC's site (`source_url`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
DEFAULT_EDITION = "2024"
EDITIONS = ("2024", "2016")


@dataclass(frozen=True)
class Code:
    edition: str
    number: str
    topic: str
    equivalent: str
    verified: bool

    @property
    def anchor(self) -> str:
        return f"code-{self.edition}-{self.number.replace('.', '-')}"

    @property
    def label(self) -> str:
        return f"Code {self.number}: {self.topic}"


@dataclass(frozen=True)
class Edition:
    edition: str
    title: str
    in_force_from: str
    source_url: str
    note: str
    codes: tuple[Code, ...]

    def get(self, number: str) -> Code | None:
        return next((c for c in self.codes if c.number == number), None)


@cache
def edition(name: str = DEFAULT_EDITION) -> Edition:
    if name not in EDITIONS:
        raise KeyError(f"Unknown edition of the Codes: {name}")
    raw = json.loads((DATA / f"codes_{name}.json").read_text(encoding="utf-8"))
    other = "2016" if name == "2024" else "2024"
    codes = tuple(
        Code(
            edition=name,
            number=c["number"],
            topic=c["topic"],
            equivalent=c.get(f"equivalent_{other}", ""),
            verified=bool(c.get("verified")),
        )
        for c in raw["codes"]
    )
    return Edition(
        edition=name,
        title=raw["title"],
        in_force_from=raw["in_force_from"],
        source_url=raw["source_url"],
        note=raw["note"],
        codes=codes,
    )


def codes_for(
    numbers: list[str] | tuple[str, ...], edition_name: str = DEFAULT_EDITION
) -> list[Code]:
    """The known codes among `numbers`, in the edition's order."""
    ed = edition(edition_name)
    wanted = set(numbers)
    return [c for c in ed.codes if c.number in wanted]


def unknown_codes(numbers: list[str] | tuple[str, ...], edition_name: str) -> list[str]:
    ed = edition(edition_name)
    return [n for n in numbers if ed.get(n) is None]
