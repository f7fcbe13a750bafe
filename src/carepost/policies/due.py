"""When must a member attest a policy? A pure function of dates: no database, no clock.

The caller passes `today` explicitly (tests freeze time by parameter). The rules:

- Nothing is required before the member joins, after they leave, or before the policy
  has a version in effect.
- The version to read is always the current one: the latest version in effect today.
- The *required* version is the latest version in effect that asks for re-attestation
  (the first version always does). An attestation of the required version or a later
  one satisfies it.
- Never attested: **induction**. Attested, but only an older version than the required
  one: **new version**. Either way it is due from the later of (joining, the required
  version taking effect) and overdue after `grace_days`.
- Attested the required version: the **review cycle** runs from the latest attestation.
  Due `lead_days` before the anniversary (every `cycle_months`), overdue after it.
  A cycle of 0 months means no periodic re-reading.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

GRACE_DAYS = 14
LEAD_DAYS = 30


class State(StrEnum):
    NOT_REQUIRED = "not_required"
    UP_TO_DATE = "up_to_date"
    DUE = "due"
    OVERDUE = "overdue"


class Reason(StrEnum):
    INDUCTION = "induction"
    NEW_VERSION = "new_version"
    REVIEW_CYCLE = "review_cycle"


REASON_TEXT = {
    Reason.INDUCTION: "You have not read this policy yet.",
    Reason.NEW_VERSION: "A new version needs you to read it again.",
    Reason.REVIEW_CYCLE: "It is time for your regular re-read.",
}


@dataclass(frozen=True)
class VersionFact:
    number: int
    effective_from: date
    requires_reattestation: bool


@dataclass(frozen=True)
class AttestationFact:
    version_number: int
    on: date


@dataclass(frozen=True)
class Status:
    state: State
    reason: Reason | None = None
    version_number: int | None = None  # the version to read (the current one)
    due_on: date | None = None
    next_review: date | None = None
    last_attested: date | None = None

    @property
    def needs_action(self) -> bool:
        return self.state in (State.DUE, State.OVERDUE)

    @property
    def covered(self) -> bool:
        """Holds a valid attestation today (a review coming up still counts)."""
        return self.state == State.UP_TO_DATE or (
            self.state == State.DUE and self.reason == Reason.REVIEW_CYCLE
        )

    @property
    def reason_text(self) -> str:
        return REASON_TEXT[self.reason] if self.reason else ""


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (29 Feb + 12 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def attestation_status(
    *,
    joined: date,
    left: date | None,
    versions: Sequence[VersionFact],
    cycle_months: int,
    attestations: Sequence[AttestationFact],
    today: date,
    grace_days: int = GRACE_DAYS,
    lead_days: int = LEAD_DAYS,
) -> Status:
    if joined > today or (left is not None and left <= today):
        return Status(State.NOT_REQUIRED)
    in_effect = sorted((v for v in versions if v.effective_from <= today), key=lambda v: v.number)
    if not in_effect:
        return Status(State.NOT_REQUIRED)
    current = in_effect[-1]
    required = max(
        (v for i, v in enumerate(in_effect) if i == 0 or v.requires_reattestation),
        key=lambda v: v.number,
    )
    past = [a for a in attestations if a.on <= today]
    valid = [a for a in past if a.version_number >= required.number]
    if not valid:
        start = max(joined, required.effective_from)
        return Status(
            State.OVERDUE if today > start + timedelta(days=grace_days) else State.DUE,
            reason=Reason.NEW_VERSION if past else Reason.INDUCTION,
            version_number=current.number,
            due_on=start + timedelta(days=grace_days),
            last_attested=max((a.on for a in past), default=None),
        )
    last = max(a.on for a in valid)
    if cycle_months <= 0:
        return Status(State.UP_TO_DATE, version_number=current.number, last_attested=last)
    anniversary = add_months(last, cycle_months)
    if today > anniversary:
        state = State.OVERDUE
    elif today >= anniversary - timedelta(days=lead_days):
        state = State.DUE
    else:
        return Status(
            State.UP_TO_DATE,
            version_number=current.number,
            next_review=anniversary,
            last_attested=last,
        )
    return Status(
        state,
        reason=Reason.REVIEW_CYCLE,
        version_number=current.number,
        due_on=anniversary,
        next_review=anniversary,
        last_attested=last,
    )
