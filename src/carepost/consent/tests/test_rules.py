"""Each consent rule, for both rule sets, on plain facts (no database)."""

from datetime import date

import pytest

from carepost.consent.rules import PersonFacts, RecordFacts, RepFacts, decide, rule_set

ON = date(2026, 11, 21)
SCOT = rule_set("scotland")
EW = rule_set("england_wales")


def adult(**kw: object) -> PersonFacts:
    return PersonFacts(name="Peggy", age=kw.pop("age", 80), capacity=kw.pop("capacity", None), **kw)


def rep(id: int, authority: str, covers: bool = True, in_force: bool = True) -> RepFacts:
    return RepFacts(
        id=id, name=f"Rep {id}", authority=authority, covers_publicity=covers, in_force=in_force
    )


def consent(id: int = 1, rep_id: int | None = None, **kw: object) -> RecordFacts:
    return RecordFacts(
        id=id,
        kind=str(kw.get("kind", "consent")),
        rep_id=rep_id,
        covers=bool(kw.get("covers", True)),
        valid_from=kw.get("valid_from", date(2026, 1, 1)),
        valid_until=kw.get("valid_until", date(2026, 12, 31)),
        withdrawn_on=kw.get("withdrawn_on"),
    )


def check(rules, person, reps=(), records=(), media="photo"):
    return decide(rules, person, list(reps), list(records), media, "Website news", ON)


@pytest.mark.parametrize("rules", [SCOT, EW], ids=["scotland", "england_wales"])
class TestAdults:
    def test_adult_with_capacity_consents_for_themselves(self, rules):
        d = check(rules, adult(), records=[consent()])
        assert d.allowed and d.relied_on == (1,)

    def test_capacity_is_presumed_without_a_decision(self, rules):
        assert check(rules, adult(capacity=None), records=[consent()]).allowed

    def test_nothing_recorded_means_no(self, rules):
        d = check(rules, adult())
        assert not d.allowed and d.code == "no_consent"

    def test_adult_lacking_capacity_cannot_consent_themselves(self, rules):
        d = check(rules, adult(capacity="lacks_capacity"), records=[consent()])
        assert not d.allowed and d.code == "no_legal_representative"

    def test_next_of_kin_is_refused(self, rules):
        d = check(
            rules,
            adult(capacity="lacks_capacity"),
            reps=[rep(7, "consulted_only", covers=False)],
            records=[consent(rep_id=7)],
        )
        assert not d.allowed
        assert "next of kin" in d.message.lower() or "cannot consent" in d.message

    def test_representative_whose_powers_do_not_cover_publicity_is_refused(self, rules):
        authority = sorted(rules.lacking_capacity_authorities)[0]
        d = check(
            rules,
            adult(capacity="lacks_capacity"),
            reps=[rep(3, authority, covers=False)],
            records=[consent(rep_id=3)],
        )
        assert not d.allowed

    def test_representative_whose_authority_ended_is_refused(self, rules):
        authority = sorted(rules.lacking_capacity_authorities)[0]
        d = check(
            rules,
            adult(capacity="lacks_capacity"),
            reps=[rep(3, authority, in_force=False)],
            records=[consent(rep_id=3)],
        )
        assert not d.allowed

    def test_adult_with_capacity_is_not_overridden_by_a_representative(self, rules):
        authority = sorted(rules.lacking_capacity_authorities)[0]
        d = check(
            rules,
            adult(capacity="has_capacity"),
            reps=[rep(3, authority)],
            records=[consent(rep_id=3)],
        )
        assert not d.allowed


@pytest.mark.parametrize(
    "authority", ["welfare_attorney", "welfare_guardian", "intervention_order"]
)
def test_scotland_each_legal_authority_may_consent_for_an_adult_lacking_capacity(
    authority: str,
) -> None:
    d = check(
        SCOT,
        adult(capacity="lacks_capacity"),
        reps=[rep(3, authority)],
        records=[consent(rep_id=3)],
    )
    assert d.allowed


@pytest.mark.parametrize("authority", ["lpa_health_welfare", "deputy"])
def test_england_wales_each_legal_authority_may_consent_for_an_adult_lacking_capacity(
    authority: str,
) -> None:
    assert check(
        EW, adult(capacity="lacks_capacity"), reps=[rep(3, authority)], records=[consent(rep_id=3)]
    ).allowed


def test_scottish_authority_does_not_count_in_england_and_wales() -> None:
    d = check(
        EW,
        adult(capacity="lacks_capacity"),
        reps=[rep(3, "welfare_guardian")],
        records=[consent(rep_id=3)],
    )
    assert not d.allowed


def test_scotland_child_of_12_consents_for_themselves() -> None:
    assert check(SCOT, adult(age=12), records=[consent()]).allowed


def test_scotland_child_of_11_cannot_consent_for_themselves() -> None:
    d = check(SCOT, adult(age=11), records=[consent()])
    assert not d.allowed and d.code == "no_parental_representative"


def test_scotland_child_of_11_with_parental_consent_is_allowed() -> None:
    d = check(
        SCOT, adult(age=11), reps=[rep(2, "parental_responsibilities")], records=[consent(rep_id=2)]
    )
    assert d.allowed


def test_scotland_child_of_12_assessed_as_lacking_capacity_needs_a_parent() -> None:
    assert not check(SCOT, adult(age=13, capacity="lacks_capacity"), records=[consent()]).allowed


def test_england_wales_child_needs_an_assessment_to_consent_alone() -> None:
    assert not check(EW, adult(age=14), records=[consent()]).allowed
    assert check(EW, adult(age=14, capacity="has_capacity"), records=[consent()]).allowed


@pytest.mark.parametrize("rules", [SCOT, EW], ids=["scotland", "england_wales"])
def test_a_parents_objection_blocks_a_young_persons_consent(rules) -> None:
    person = adult(age=14, capacity="has_capacity")
    d = check(
        rules,
        person,
        reps=[rep(2, "parental_responsibilities")],
        records=[consent(1), consent(2, rep_id=2, kind="objection")],
    )
    assert not d.allowed and d.code == "objection"


@pytest.mark.parametrize("rules", [SCOT, EW], ids=["scotland", "england_wales"])
def test_the_childs_own_objection_blocks_parental_consent(rules) -> None:
    d = check(
        rules,
        adult(age=9),
        reps=[rep(2, "parental_responsibilities")],
        records=[consent(1, rep_id=2), consent(2, kind="objection")],
    )
    assert not d.allowed and d.code == "objection"


@pytest.mark.parametrize("rules", [SCOT, EW], ids=["scotland", "england_wales"])
def test_looked_after_child_also_needs_the_local_authority(rules) -> None:
    child = adult(age=14, capacity="has_capacity", looked_after=True)
    d = check(rules, child, reps=[rep(5, "local_authority")], records=[consent(1)])
    assert not d.allowed and "local authority" in d.message
    d = check(
        rules, child, reps=[rep(5, "local_authority")], records=[consent(1), consent(2, rep_id=5)]
    )
    assert d.allowed and set(d.relied_on) == {1, 2}


def test_looked_after_child_with_no_local_authority_recorded_is_refused() -> None:
    d = check(SCOT, adult(age=14, looked_after=True), records=[consent(1)])
    assert d.code == "no_local_authority"


@pytest.mark.parametrize("rules", [SCOT, EW], ids=["scotland", "england_wales"])
def test_childrens_hearing_is_never_identifiable(rules) -> None:
    d = check(rules, adult(age=14, childrens_hearing=True), records=[consent()])
    assert not d.allowed and d.code == "flag_childrens_hearing"


@pytest.mark.parametrize(
    ("flag", "media", "blocked"),
    [
        ("do_not_publish", "name", True),
        ("do_not_publish", "photo", True),
        ("do_not_photograph", "photo", True),
        ("do_not_photograph", "video", True),
        ("do_not_photograph", "name", False),
        ("do_not_name", "name", True),
        ("do_not_name", "story", True),
        ("do_not_name", "photo", False),
    ],
)
def test_override_flags_beat_every_consent(flag: str, media: str, blocked: bool) -> None:
    d = check(SCOT, adult(**{flag: True}), records=[consent()], media=media)
    assert d.allowed is not blocked


def test_consent_for_another_medium_or_channel_does_not_count() -> None:
    assert not check(SCOT, adult(), records=[consent(covers=False)]).allowed


@pytest.mark.parametrize(
    ("until", "allowed"),
    [(date(2026, 11, 20), False), (date(2026, 11, 21), True), (date(2026, 11, 22), True)],
)
def test_expiry_boundary_consent_is_valid_through_its_last_day(until: date, allowed: bool) -> None:
    d = check(SCOT, adult(), records=[consent(valid_until=until)])
    assert d.allowed is allowed
    if not allowed:
        assert d.code == "expired" and "20 November 2026" in d.message


def test_consent_not_yet_started_is_refused() -> None:
    d = check(SCOT, adult(), records=[consent(valid_from=date(2026, 12, 1))])
    assert d.code == "not_yet_valid"


@pytest.mark.parametrize(
    ("withdrawn", "allowed"), [(date(2026, 11, 21), False), (date(2026, 11, 22), True)]
)
def test_withdrawal_takes_effect_on_its_day(withdrawn: date, allowed: bool) -> None:
    d = check(SCOT, adult(), records=[consent(withdrawn_on=withdrawn)])
    assert d.allowed is allowed
    if not allowed:
        assert d.code == "withdrawn"


def test_unknown_age_is_refused_with_what_to_do() -> None:
    d = check(SCOT, PersonFacts(name="Peggy", age=None, capacity=None), records=[consent()])
    assert d.code == "age_unknown" and "date of birth" in d.message


def test_every_rule_set_names_its_sources() -> None:
    for rules in (SCOT, EW):
        for key in (
            "adult_age",
            "lacking_capacity_authorities",
            "never_consent",
            "child_authorities",
        ):
            assert rules.sources[key]
