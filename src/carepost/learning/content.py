"""Learning content kept as data: starter modules, scenarios and self-assessment items."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict[str, Any]:
    with (DATA / f"{name}.toml").open("rb") as fh:
        return tomllib.load(fh)


@cache
def starter_modules() -> list[dict[str, Any]]:
    return list(_load("modules")["module"])


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    feedback: str
    code: str
    quality: str
    next: str


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    choices: tuple[Choice, ...]

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Scenario:
    slug: str
    title: str
    summary: str
    start: str
    steps: dict[str, Step]

    def walk(self, path: list[str]) -> tuple[Step | None, list[tuple[Step, Choice]]]:
        """Follow `path` (choice ids) from the start. Returns the next step (None at the
        end) and the steps taken. Raises ValueError on a choice that is not on offer."""
        step: Step | None = self.steps[self.start]
        taken: list[tuple[Step, Choice]] = []
        for choice_id in path:
            if step is None:
                raise ValueError("The scenario has already ended.")
            choice = step.choice(choice_id)
            if choice is None:
                raise ValueError(f"“{choice_id}” is not a choice at this point.")
            taken.append((step, choice))
            step = self.steps[choice.next] if choice.next else None
        return step, taken


@cache
def scenarios() -> dict[str, Scenario]:
    out = {}
    for raw in _load("scenarios")["scenario"]:
        steps = {
            s["id"]: Step(
                id=s["id"],
                text=s["text"],
                choices=tuple(Choice(**c) for c in s["choice"]),
            )
            for s in raw["step"]
        }
        for step in steps.values():
            for c in step.choices:
                if c.next and c.next not in steps:
                    raise ValueError(f"Scenario {raw['slug']}: unknown step {c.next}")
        out[raw["slug"]] = Scenario(
            slug=raw["slug"],
            title=raw["title"],
            summary=raw["summary"],
            start=raw["start"],
            steps=steps,
        )
    return out


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    hint: str = ""


@dataclass(frozen=True)
class Instrument:
    scale: tuple[str, ...]
    traits: tuple[Item, ...]
    skills: tuple[Item, ...]


SKILL_ASPECTS = (
    ("capability", "Capability"),
    ("confidence", "Confidence"),
    ("relevance", "Relevance to my job"),
)


@cache
def instrument() -> Instrument:
    raw = _load("self_assessment")
    return Instrument(
        scale=tuple(raw["scale"]),
        traits=tuple(Item(**t) for t in raw["trait"]),
        skills=tuple(Item(**s) for s in raw["skill"]),
    )
