"""Organisation policy: per-check and per-code actions, disabled checks, watched terms.

A policy is plain data so it can come from a TOML file or from a row in the database
(``Policy.from_dict``). Shape (TOML; the dict form is the same)::

    [checks.voice]
    enabled = false

    [checks.person]
    action = "block"            # every person finding blocks

    [codes]
    "location.live" = "block"   # a code is more specific than its check

    [[watched_terms]]
    term = "Mill Road"
    category = "location"       # a built-in check name, or any label of your own
    action = "block"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .findings import ACTIONS

CHECKS: tuple[str, ...] = (
    "personal_data",
    "person",
    "unknown_name",
    "special_category",
    "location",
    "confidential",
    "offensive",
    "watched_term",
    "voice",
)


class PolicyError(ValueError):
    """A policy file or dict that does not follow the documented shape."""


def _check_action(value: object, where: str) -> str:
    if value not in ACTIONS:
        raise PolicyError(f"{where}: action must be one of {', '.join(ACTIONS)}, not {value!r}")
    return str(value)


@dataclass(frozen=True)
class WatchedTerm:
    """A word or phrase the organisation wants flagged (matched case-insensitively, whole words)."""

    term: str
    category: str = "watched"
    action: str = "review"

    def __post_init__(self) -> None:
        if not self.term.strip():
            raise PolicyError("watched term must not be empty")
        _check_action(self.action, f"watched term {self.term!r}")


@dataclass(frozen=True)
class Policy:
    """What each check does for one organisation. Build once, reuse for many posts."""

    check_actions: Mapping[str, str] = field(default_factory=dict)
    code_actions: Mapping[str, str] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    watched_terms: tuple[WatchedTerm, ...] = ()

    @classmethod
    def default(cls) -> Policy:
        return _DEFAULT

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        check_actions: dict[str, str] = {}
        disabled: set[str] = set()
        checks = data.get("checks", {}) or {}
        if not isinstance(checks, Mapping):
            raise PolicyError("'checks' must be a table")
        for name, settings in checks.items():
            if name not in CHECKS:
                raise PolicyError(f"unknown check {name!r}; known: {', '.join(CHECKS)}")
            if not isinstance(settings, Mapping):
                raise PolicyError(f"checks.{name} must be a table")
            if "action" in settings:
                check_actions[name] = _check_action(settings["action"], f"checks.{name}")
            if settings.get("enabled", True) is False:
                disabled.add(name)
        codes = data.get("codes", {}) or {}
        if not isinstance(codes, Mapping):
            raise PolicyError("'codes' must be a table")
        code_actions = {str(code): _check_action(a, f"codes.{code}") for code, a in codes.items()}
        terms: list[WatchedTerm] = []
        for item in data.get("watched_terms", []) or []:
            if not isinstance(item, Mapping) or "term" not in item:
                raise PolicyError("each watched term needs at least 'term'")
            terms.append(
                WatchedTerm(
                    term=str(item["term"]),
                    category=str(item.get("category", "watched")),
                    action=str(item.get("action", "review")),
                )
            )
        return cls(
            check_actions=check_actions,
            code_actions=code_actions,
            disabled=frozenset(disabled),
            watched_terms=tuple(terms),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        with open(path, "rb") as handle:
            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as error:
                raise PolicyError(f"{path}: {error}") from error
        return cls.from_dict(data)

    def with_watched_terms(self, terms: Iterable[WatchedTerm]) -> Policy:
        return Policy(self.check_actions, self.code_actions, self.disabled, tuple(terms))

    def enabled(self, check: str) -> bool:
        return check not in self.disabled

    def action_for(self, check: str, code: str, default: str) -> str:
        """The action for a finding: code override, then check override, then the default."""
        if code in self.code_actions:
            return self.code_actions[code]
        return self.check_actions.get(check, default)

    @cached_property
    def watched_matcher(self) -> Any:
        from .checks.watched import compile_terms

        return compile_terms(self.watched_terms)


_DEFAULT = Policy()
