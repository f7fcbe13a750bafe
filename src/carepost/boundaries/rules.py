"""The decision aid's rules: pure functions over the answers and the organisation's policy.

No Django import. The organisation's policy is a JSON document (the shipped defaults are
`data/defaults.json`); `policy_from_document` validates it and `recommend` applies it.
Rules are tried in order and the first whose conditions all hold wins; a condition that
is missing or empty matches any answer. If nothing matches, the safe fallback applies:
decline and tell the line manager.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REQUESTERS: dict[str, str] = {
    "current": "A person we support now",
    "former": "Someone we used to support",
    "relative": "A relative or friend of someone we support",
    "colleague": "A colleague",
    "other": "Someone else",
}
KNEW_BEFORE: dict[str, str] = {
    "no": "No, I only know them through work",
    "yes": "Yes, I knew them before",
}
CHILD: dict[str, str] = {
    "no": "No, they are an adult",
    "yes": "Yes, they are under 18",
    "unsure": "I am not sure",
}
PLATFORMS: dict[str, str] = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "snapchat": "Snapchat",
    "x": "X (Twitter)",
    "linkedin": "LinkedIn",
    "whatsapp": "WhatsApp",
    "other": "Another app or site",
}
ACTIONS: dict[str, str] = {
    "decline": "Decline",
    "declare": "Declare it to your line manager",
    "judgement": "Your choice",
}
OUTCOMES: dict[str, str] = {
    "declined": "Declined",
    "declined_referred": "Declined and referred",
    "blocked": "Blocked",
    "already_connected": "Already connected",
    "accepted": "Accepted",
}
OUTCOME_HINTS: dict[str, str] = {
    "declined": "I did not accept the request.",
    "declined_referred": "I did not accept, reminded them of boundaries and pointed them to "
    "our official channels.",
    "blocked": "I blocked them on this platform.",
    "already_connected": "We were already connected: I will declare the relationship.",
    "accepted": "I accepted the request (for example, a colleague).",
}
CONDITIONS: dict[str, dict[str, str]] = {
    "requester": REQUESTERS,
    "knew_before": KNEW_BEFORE,
    "child": CHILD,
}


class PolicyError(ValueError):
    """The policy document cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Answers:
    requester: str
    knew_before: str
    child: str
    platform: str = "other"
    name: str = ""


@dataclass(frozen=True)
class Citation:
    key: str
    number: str
    summary: str

    @property
    def label(self) -> str:
        return f"Code {self.number}"


@dataclass(frozen=True)
class Edition:
    key: str
    title: str
    url: str
    codes: Mapping[str, Citation]


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    body: str


@dataclass(frozen=True)
class Rule:
    key: str
    title: str
    when: Mapping[str, tuple[str, ...]]
    action: str
    notify_manager: bool
    advice: str
    steps: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    reply: str = ""
    suggested_outcome: str = ""

    def matches(self, answers: Answers) -> bool:
        return all(
            not allowed or getattr(answers, name) in allowed for name, allowed in self.when.items()
        )


@dataclass(frozen=True)
class CheckupItem:
    key: str
    label: str


@dataclass(frozen=True)
class Policy:
    code_edition: str
    official_channels: str
    checkup_interval_days: int
    review_notice_days: int
    editions: Mapping[str, Edition]
    templates: Mapping[str, Template]
    rules: tuple[Rule, ...]
    checkup_items: tuple[CheckupItem, ...] = field(default=())

    @property
    def edition(self) -> Edition:
        return self.editions[self.code_edition]


@dataclass(frozen=True)
class Recommendation:
    rule_key: str
    action: str
    notify_manager: bool
    advice: str
    steps: tuple[str, ...]
    citations: tuple[Citation, ...]
    edition: str
    reply_title: str
    reply_text: str
    suggested_outcome: str

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def code_numbers(self) -> list[str]:
        return [c.number for c in self.citations]


FALLBACK_RULE = Rule(
    key="fallback",
    title="Nothing else matched",
    when={},
    action="decline",
    notify_manager=True,
    advice="Decline for now and talk to your line manager, who can help you decide "
    "({code:boundaries}, {code:suitability}).",
    steps=(
        "Do not accept the request yet.",
        "Your line manager will be told when you record this.",
    ),
    codes=("boundaries", "suitability"),
    suggested_outcome="declined",
)

_PLACEHOLDER = re.compile(r"(^|[.!?]\s+)?\{(name|official_channels|code:[a-z_]+)\}")


def render_text(
    text: str, *, name: str, default_name: str, official_channels: str, edition: Edition
) -> str:
    """Fill in {name}, {official_channels} and {code:key} in one pass, so nothing typed by
    a worker (a name) is ever interpreted. A name that starts a sentence gets a capital."""
    who = name.strip() or default_name

    def fill(m: re.Match[str]) -> str:
        before, key = m.group(1) or "", m.group(2)
        if key == "name":
            value = who[:1].upper() + who[1:] if m.group(1) is not None else who
        elif key == "official_channels":
            value = official_channels
        else:
            citation = edition.codes.get(key.removeprefix("code:"))
            value = citation.label if citation else "the Codes of Practice"
        return before + value

    return _PLACEHOLDER.sub(fill, text)


def recommend(answers: Answers, policy: Policy) -> Recommendation:
    """The first rule that matches the answers, filled in for this person and organisation."""
    rule = next((r for r in policy.rules if r.matches(answers)), FALLBACK_RULE)
    edition = policy.edition

    def fill(text: str, default_name: str = "this person") -> str:
        return render_text(
            text,
            name=answers.name,
            default_name=default_name,
            official_channels=policy.official_channels,
            edition=edition,
        )

    template = policy.templates.get(rule.reply) if rule.reply else None
    return Recommendation(
        rule_key=rule.key,
        action=rule.action,
        notify_manager=rule.notify_manager,
        advice=fill(rule.advice),
        steps=tuple(fill(s) for s in rule.steps),
        citations=tuple(edition.codes[c] for c in rule.codes if c in edition.codes),
        edition=edition.key,
        reply_title=template.title if template else "",
        reply_text=fill(template.body, "there") if template else "",
        suggested_outcome=rule.suggested_outcome,
    )


def _text(d: Mapping[str, Any], key: str, where: str, *, blank: bool = False) -> str:
    value = d.get(key, "")
    if not isinstance(value, str) or (not blank and not value.strip()):
        raise PolicyError(f"{where}: '{key}' must be some text.")
    return value


def policy_from_document(doc: Mapping[str, Any]) -> Policy:
    """Validate a policy document and turn it into a Policy. Raises PolicyError."""
    if not isinstance(doc, Mapping):
        raise PolicyError("The policy must be a JSON object.")
    editions: dict[str, Edition] = {}
    for key, ed in (doc.get("editions") or {}).items():
        codes = {
            ck: Citation(
                key=ck,
                number=_text(c, "number", f"Code '{ck}' ({key})"),
                summary=_text(c, "summary", f"Code '{ck}' ({key})", blank=True),
            )
            for ck, c in (ed.get("codes") or {}).items()
        }
        editions[key] = Edition(
            key=key,
            title=_text(ed, "title", f"Edition {key}"),
            url=_text(ed, "url", f"Edition {key}", blank=True),
            codes=codes,
        )
    code_edition = str(doc.get("code_edition", ""))
    if code_edition not in editions:
        raise PolicyError(f"The chosen edition of the Codes ('{code_edition}') is not listed.")
    templates = {
        key: Template(
            key=key,
            title=_text(t, "title", f"Template '{key}'"),
            body=_text(t, "body", f"Template '{key}'"),
        )
        for key, t in (doc.get("templates") or {}).items()
    }
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, r in enumerate(doc.get("rules") or [], start=1):
        key = _text(r, "key", f"Rule {i}")
        if key in seen:
            raise PolicyError(f"Two rules are called '{key}'.")
        seen.add(key)
        when: dict[str, tuple[str, ...]] = {}
        for name, values in (r.get("when") or {}).items():
            if name not in CONDITIONS:
                raise PolicyError(f"Rule '{key}': unknown question '{name}'.")
            bad = [v for v in values if v not in CONDITIONS[name]]
            if bad:
                raise PolicyError(f"Rule '{key}': unknown answer(s) {', '.join(bad)} for {name}.")
            when[name] = tuple(values)
        action = r.get("action")
        if action not in ACTIONS:
            raise PolicyError(f"Rule '{key}': the action must be one of {', '.join(ACTIONS)}.")
        reply = r.get("reply") or ""
        if reply and reply not in templates:
            raise PolicyError(f"Rule '{key}': there is no reply template called '{reply}'.")
        outcome = r.get("suggested_outcome") or ""
        if outcome and outcome not in OUTCOMES:
            raise PolicyError(f"Rule '{key}': unknown suggested outcome '{outcome}'.")
        rule_codes = tuple(r.get("codes") or ())
        unknown_codes = [c for c in rule_codes if not any(c in e.codes for e in editions.values())]
        if unknown_codes:
            raise PolicyError(f"Rule '{key}': unknown code(s) {', '.join(unknown_codes)}.")
        rules.append(
            Rule(
                key=key,
                title=_text(r, "title", f"Rule '{key}'"),
                when=when,
                action=action,
                notify_manager=bool(r.get("notify_manager")),
                advice=_text(r, "advice", f"Rule '{key}'"),
                steps=tuple(str(s) for s in r.get("steps") or ()),
                codes=rule_codes,
                reply=reply,
                suggested_outcome=outcome,
            )
        )
    if not rules:
        raise PolicyError("The policy needs at least one rule.")
    items = tuple(
        CheckupItem(key=_text(c, "key", "Check-up item"), label=_text(c, "label", "Check-up item"))
        for c in doc.get("checkup_items") or ()
    )
    try:
        interval = int(doc.get("checkup_interval_days", 182))
        notice = int(doc.get("review_notice_days", 14))
    except (TypeError, ValueError) as exc:
        raise PolicyError("The check-up interval and review notice must be whole days.") from exc
    if not 7 <= interval <= 730 or not 0 <= notice <= 90:
        raise PolicyError(
            "The check-up interval must be 7 to 730 days and the review notice 0 to 90 days."
        )
    return Policy(
        code_edition=code_edition,
        official_channels=_text(doc, "official_channels", "The policy"),
        checkup_interval_days=interval,
        review_notice_days=notice,
        editions=editions,
        templates=templates,
        rules=tuple(rules),
        checkup_items=items,
    )


DEFAULTS_PATH = Path(__file__).parent / "data" / "defaults.json"


@cache
def _defaults_text() -> str:
    return DEFAULTS_PATH.read_text(encoding="utf-8")


def default_document() -> dict[str, Any]:
    """A fresh copy of the shipped defaults (callers may change it)."""
    return copy.deepcopy(json.loads(_defaults_text()))


def all_answer_combinations() -> Sequence[Answers]:
    """Every combination of the questions that decide the outcome."""
    return [
        Answers(requester=r, knew_before=k, child=c)
        for r in REQUESTERS
        for k in KNEW_BEFORE
        for c in CHILD
    ]
