"""Who may consent, decided by rules kept as data (rules/*.toml), as a pure function.

`decide` sees plain facts, not models, so every rule can be table-tested; the selector
`consent_status` gathers the facts from the register.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

RULES_DIR = Path(__file__).parent / "rules"

MEDIA_WORDS = {"name": "name", "photo": "photo", "video": "video", "story": "story"}


@dataclass(frozen=True)
class RuleSet:
    key: str
    name: str
    adult_age: int
    child_presumed_able_age: int
    lacking_capacity_authorities: frozenset[str]
    child_authorities: frozenset[str]
    looked_after_also_requires: frozenset[str]
    never_consent: frozenset[str]
    objection_blocks_from: frozenset[str]
    default_validity_months: int
    sources: dict[str, str]


@cache
def rule_set(key: str) -> RuleSet:
    path = RULES_DIR / f"{key}.toml"
    if not path.is_file():
        raise ValueError(f"No consent rules for {key!r}")
    data = tomllib.loads(path.read_text())
    return RuleSet(
        key=data["key"],
        name=data["name"],
        adult_age=int(data["adult_age"]),
        child_presumed_able_age=int(data["child_presumed_able_age"]),
        lacking_capacity_authorities=frozenset(data["lacking_capacity_authorities"]),
        child_authorities=frozenset(data["child_authorities"]),
        looked_after_also_requires=frozenset(data["looked_after_also_requires"]),
        never_consent=frozenset(data["never_consent"]),
        objection_blocks_from=frozenset(data["objection_blocks_from"]),
        default_validity_months=int(data["default_validity_months"]),
        sources=dict(data.get("sources", {})),
    )


@dataclass(frozen=True)
class PersonFacts:
    name: str
    age: int | None
    capacity: str | None  # "has_capacity", "lacks_capacity", or None (presumed)
    do_not_publish: bool = False
    do_not_photograph: bool = False
    do_not_name: bool = False
    looked_after: bool = False
    childrens_hearing: bool = False


@dataclass(frozen=True)
class RepFacts:
    id: int
    name: str
    authority: str
    covers_publicity: bool
    in_force: bool  # its authority is valid on the date asked about


@dataclass(frozen=True)
class RecordFacts:
    id: int
    kind: str  # "consent" or "objection"
    rep_id: int | None  # None: given by the person
    covers: bool  # covers the media and channel asked about
    valid_from: date
    valid_until: date
    withdrawn_on: date | None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    message: str
    relied_on: tuple[int, ...] = ()
    sources: tuple[str, ...] = field(default=())


def _no(code: str, message: str, *sources: str) -> Decision:
    return Decision(False, code, message, (), sources)


def decide(
    rules: RuleSet,
    person: PersonFacts,
    reps: list[RepFacts],
    records: list[RecordFacts],
    media: str,
    channel_name: str,
    on: date,
) -> Decision:
    """May `person` appear in `media` on `channel_name` on date `on`? Reasons in plain English."""
    who = person.name
    what = MEDIA_WORDS.get(media, media)
    src = rules.sources
    if person.do_not_publish:
        return _no(
            "flag_do_not_publish",
            f"{who} must not appear in any publication (a 'do not publish' instruction is recorded).",
        )
    if person.childrens_hearing:
        return _no(
            "flag_childrens_hearing",
            f"{who} is involved in a children's hearing and must never be identifiable in a publication.",
            src.get("childrens_hearing", ""),
        )
    if media in ("photo", "video") and person.do_not_photograph:
        return _no(
            "flag_do_not_photograph",
            f"{who} must not be photographed or filmed for publication. Remove them, or blur their face.",
        )
    if media in ("name", "story") and person.do_not_name:
        return _no(
            "flag_do_not_name", f"{who} must not be named in a publication. Remove their name."
        )
    if person.age is None:
        return _no(
            "age_unknown",
            f"{who}'s date of birth is not recorded, so Carepost cannot tell who may consent. "
            "Ask the consent officer to add it.",
        )

    # Who must have consented: a list of alternatives for each required party.
    required: list[tuple[str, frozenset[str]]] = []  # (label, acceptable givers)
    rep_by_id = {r.id: r for r in reps}
    if person.age >= rules.adult_age:
        if person.capacity == "lacks_capacity":
            required.append(
                ("a representative with legal authority", rules.lacking_capacity_authorities)
            )
        else:
            required.append(("the person", frozenset({"self"})))
    else:
        able = person.capacity == "has_capacity" or (
            person.capacity is None
            and rules.child_presumed_able_age
            and person.age >= rules.child_presumed_able_age
        )
        if able:
            required.append(("the young person", frozenset({"self"})))
        else:
            required.append(("a person with parental responsibilities", rules.child_authorities))
        if person.looked_after:
            required.append(("the local authority", rules.looked_after_also_requires))

    def giver_kind(record: RecordFacts) -> str | None:
        """The authority a record was given under, or None if it cannot count today."""
        if record.rep_id is None:
            return "self"
        rep = rep_by_id.get(record.rep_id)
        if rep is None or not rep.in_force or rep.authority in rules.never_consent:
            return None
        if rep.authority in rules.lacking_capacity_authorities and not rep.covers_publicity:
            return None
        return rep.authority

    def current(record: RecordFacts) -> bool:
        return (
            record.covers
            and record.valid_from <= on <= record.valid_until
            and (record.withdrawn_on is None or record.withdrawn_on > on)
        )

    # Objections from the person, a parent or the local authority block everything.
    for record in records:
        if record.kind != "objection" or not current(record):
            continue
        if record.rep_id is None:
            kind = "self"
        else:
            rep = rep_by_id.get(record.rep_id)
            kind = rep.authority if rep else ""
        if kind in rules.objection_blocks_from:
            by = (
                who if kind == "self" else (rep_by_id[record.rep_id].name if record.rep_id else who)
            )
            return _no(
                "objection",
                f"{by} has objected to {who}'s {what} being published. The answer is no.",
            )

    relied: list[int] = []
    for label, acceptable in required:
        matching = [
            r for r in records if r.kind == "consent" and current(r) and giver_kind(r) in acceptable
        ]
        if matching:
            relied.extend(r.id for r in matching)
            continue
        return _explain_missing(
            rules, person, reps, records, label, acceptable, what, channel_name, on, giver_kind
        )
    return Decision(
        True, "allowed", f"{who} has agreed to their {what} on {channel_name}.", tuple(relied)
    )


def _explain_missing(
    rules: RuleSet,
    person: PersonFacts,
    reps: list[RepFacts],
    records: list[RecordFacts],
    label: str,
    acceptable: frozenset[str],
    what: str,
    channel_name: str,
    on: date,
    giver_kind: object,
) -> Decision:
    """The most useful reason why no consent counts, and what to do next."""
    who = person.name
    src = rules.sources
    covering = [r for r in records if r.kind == "consent" and r.covers]
    withdrawn = [r for r in covering if r.withdrawn_on is not None and r.withdrawn_on <= on]
    expired = [r for r in covering if r.valid_until < on and r.withdrawn_on is None]
    not_yet = [r for r in covering if r.valid_from > on and r.withdrawn_on is None]
    invalid_givers = [
        r
        for r in covering
        if r.rep_id is not None and callable(giver_kind) and giver_kind(r) is None
    ]

    if "self" not in acceptable and not any(
        rep.authority in acceptable
        and rep.in_force
        and (rep.covers_publicity or rep.authority not in rules.lacking_capacity_authorities)
        for rep in reps
    ):
        if label == "a representative with legal authority":
            return _no(
                "no_legal_representative",
                f"{who} lacks capacity for this decision and nobody with legal authority covering "
                "publicity is recorded. Family and next of kin can be consulted but cannot consent, "
                "so the answer is no. Use a photo without them, or ask the consent officer.",
                src.get("lacking_capacity_authorities", ""),
                src.get("never_consent", ""),
            )
        if label == "the local authority":
            return _no(
                "no_local_authority",
                f"{who} is a looked-after child: the local authority must also consent, and none is recorded.",
                src.get("looked_after_also_requires", ""),
            )
        return _no(
            "no_parental_representative",
            f"{who} is under {rules.child_presumed_able_age or 16} and nobody with parental "
            "responsibilities is recorded, so nobody can consent for them yet.",
            src.get("child_authorities", ""),
        )
    if invalid_givers:
        names = {rep.id: rep for rep in reps}
        rep = names.get(invalid_givers[-1].rep_id or -1)
        if rep is not None and rep.authority in rules.never_consent:
            return _no(
                "giver_cannot_consent",
                f"The consent recorded from {rep.name} cannot count: they can be consulted but cannot "
                f"consent for {who}. Ask the consent officer who may decide.",
                src.get("never_consent", ""),
            )
        if rep is not None and not rep.in_force:
            return _no(
                "representative_not_in_force",
                f"{rep.name}'s authority to act for {who} is not in force on {on:%-d %B %Y}. "
                "Ask the consent officer to check it.",
            )
        if rep is not None:
            return _no(
                "representative_powers_do_not_cover",
                f"{rep.name}'s powers are not recorded as covering photos and publicity, so their "
                f"consent cannot count for {who}.",
                src.get("lacking_capacity_authorities", ""),
            )
    if withdrawn:
        last = max(withdrawn, key=lambda r: r.withdrawn_on or on)
        return _no(
            "withdrawn",
            f"{who}'s {what} consent was withdrawn on {last.withdrawn_on:%-d %B %Y}. Leave them out.",
        )
    if expired:
        last = max(expired, key=lambda r: r.valid_until)
        return _no(
            "expired",
            f"{who}'s {what} consent expired on {last.valid_until:%-d %B %Y}; "
            "ask the consent officer to review it.",
        )
    if not_yet:
        first = min(not_yet, key=lambda r: r.valid_from)
        return _no(
            "not_yet_valid", f"{who}'s {what} consent only starts on {first.valid_from:%-d %B %Y}."
        )
    return _no(
        "no_consent",
        f"There is no current {what} consent from {label if label != 'the person' else who} "
        f"covering {channel_name}. Ask the consent officer to record one.",
        src.get("consent_conditions", ""),
    )
