"""The attestation rules across their boundaries, with the date passed in (a fake clock)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carepost.policies.due import (
    AttestationFact,
    Reason,
    State,
    VersionFact,
    add_months,
    attestation_status,
)

JOINED = date(2025, 1, 6)
V1 = VersionFact(1, date(2024, 6, 1), True)


def status(today, *, versions=(V1,), attestations=(), left=None, cycle=12, joined=JOINED):
    return attestation_status(
        joined=joined,
        left=left,
        versions=list(versions),
        cycle_months=cycle,
        attestations=list(attestations),
        today=today,
    )


def test_nothing_is_required_before_the_member_joins() -> None:
    assert status(JOINED - timedelta(days=1)).state == State.NOT_REQUIRED


def test_a_new_member_must_read_at_induction_within_fourteen_days() -> None:
    on_first_day = status(JOINED)
    assert on_first_day.state == State.DUE
    assert on_first_day.reason == Reason.INDUCTION
    assert on_first_day.due_on == JOINED + timedelta(days=14)
    assert status(JOINED + timedelta(days=14)).state == State.DUE


def test_induction_becomes_overdue_the_day_after_the_grace_period() -> None:
    late = status(JOINED + timedelta(days=15))
    assert late.state == State.OVERDUE
    assert late.reason == Reason.INDUCTION


def test_a_policy_with_no_version_in_effect_yet_is_not_required() -> None:
    future = VersionFact(1, JOINED + timedelta(days=30), True)
    assert status(JOINED + timedelta(days=29), versions=[future]).state == State.NOT_REQUIRED
    assert status(JOINED + timedelta(days=30), versions=[future]).state == State.DUE


def test_a_policy_published_after_joining_counts_from_its_effective_date() -> None:
    later = VersionFact(1, date(2025, 3, 1), True)
    s = status(date(2025, 3, 10), versions=[later])
    assert s.reason == Reason.INDUCTION
    assert s.due_on == date(2025, 3, 15)


def test_reading_the_current_version_makes_the_member_up_to_date_until_the_review() -> None:
    read = AttestationFact(1, JOINED + timedelta(days=3))
    s = status(JOINED + timedelta(days=4), attestations=[read])
    assert s.state == State.UP_TO_DATE
    assert s.next_review == date(2026, 1, 9)
    assert s.covered


def test_an_attestation_dated_after_today_does_not_count_yet() -> None:
    read = AttestationFact(1, JOINED + timedelta(days=3))
    assert status(JOINED + timedelta(days=2), attestations=[read]).reason == Reason.INDUCTION


def test_a_new_version_needing_reattestation_is_due_from_its_effective_date() -> None:
    read = AttestationFact(1, date(2025, 1, 10))
    v2 = VersionFact(2, date(2025, 6, 1), True)
    before = status(date(2025, 5, 31), versions=[V1, v2], attestations=[read])
    assert before.state == State.UP_TO_DATE
    on_the_day = status(date(2025, 6, 1), versions=[V1, v2], attestations=[read])
    assert on_the_day.state == State.DUE
    assert on_the_day.reason == Reason.NEW_VERSION
    assert on_the_day.version_number == 2
    assert on_the_day.due_on == date(2025, 6, 15)
    assert status(date(2025, 6, 16), versions=[V1, v2], attestations=[read]).state == State.OVERDUE


def test_a_minor_version_does_not_ask_for_a_new_read() -> None:
    read = AttestationFact(1, date(2025, 1, 10))
    v2 = VersionFact(2, date(2025, 6, 1), False)
    s = status(date(2025, 6, 2), versions=[V1, v2], attestations=[read])
    assert s.state == State.UP_TO_DATE
    assert s.version_number == 2  # the current text is still the one to read


def test_an_earlier_major_version_still_counts_after_a_later_minor_one() -> None:
    v2 = VersionFact(2, date(2025, 6, 1), True)
    v3 = VersionFact(3, date(2025, 7, 1), False)
    read_v1 = AttestationFact(1, date(2025, 1, 10))
    s = status(date(2025, 7, 2), versions=[V1, v2, v3], attestations=[read_v1])
    assert s.reason == Reason.NEW_VERSION
    read_v2 = AttestationFact(2, date(2025, 6, 3))
    assert status(date(2025, 7, 2), versions=[V1, v2, v3], attestations=[read_v2]).covered


def test_reading_the_new_version_resolves_it() -> None:
    v2 = VersionFact(2, date(2025, 6, 1), True)
    reads = [AttestationFact(1, date(2025, 1, 10)), AttestationFact(2, date(2025, 6, 20))]
    s = status(date(2025, 6, 21), versions=[V1, v2], attestations=reads)
    assert s.state == State.UP_TO_DATE
    assert s.next_review == date(2026, 6, 20)


def test_a_member_who_joins_after_a_new_version_gets_induction_from_joining() -> None:
    v2 = VersionFact(2, date(2024, 12, 1), True)
    s = status(JOINED, versions=[V1, v2])
    assert s.reason == Reason.INDUCTION
    assert s.due_on == JOINED + timedelta(days=14)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 1, 9), State.UP_TO_DATE),  # 31 days before the anniversary
        (date(2026, 1, 10), State.DUE),  # 30 days before: reminders start
        (date(2026, 2, 9), State.DUE),  # the anniversary itself
        (date(2026, 2, 10), State.OVERDUE),  # the day after
    ],
)
def test_the_review_cycle_comes_due_thirty_days_before_and_overdue_after(today, state) -> None:
    read = AttestationFact(1, date(2025, 2, 9))
    s = status(today, attestations=[read])
    assert s.state == state
    if state != State.UP_TO_DATE:
        assert s.reason == Reason.REVIEW_CYCLE
        assert s.due_on == date(2026, 2, 9)


def test_a_review_coming_up_still_counts_as_covered_but_an_overdue_one_does_not() -> None:
    read = AttestationFact(1, date(2025, 2, 9))
    assert status(date(2026, 2, 1), attestations=[read]).covered
    assert not status(date(2026, 2, 10), attestations=[read]).covered


def test_the_cycle_follows_the_policy_setting() -> None:
    read = AttestationFact(1, date(2025, 2, 9))
    assert status(date(2025, 8, 10), attestations=[read], cycle=6).state == State.OVERDUE
    assert status(date(2030, 1, 1), attestations=[read], cycle=0).state == State.UP_TO_DATE


def test_a_member_who_has_left_needs_nothing_from_the_day_they_leave() -> None:
    left = JOINED + timedelta(days=20)
    assert status(left - timedelta(days=1), left=left).state == State.OVERDUE
    assert status(left, left=left).state == State.NOT_REQUIRED


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
