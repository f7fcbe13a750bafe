from __future__ import annotations

import pytest

from carepost.screening import Policy, PolicyError, screen


def test_the_default_policy_blocks_offensive_text():
    assert screen("what a load of shite").verdict == "block"


def test_a_policy_overrides_the_action_of_a_check_and_of_a_code(register):
    policy = Policy.from_dict(
        {"checks": {"person": {"action": "block"}}, "codes": {"personal_data.phone": "warn"}}
    )
    assert screen("Happy birthday Peggy", register=register, policy=policy).verdict == "block"
    assert screen("Call 0141 496 0123", policy=policy).verdict == "pass"


def test_a_disabled_check_reports_nothing():
    policy = Policy.from_dict({"checks": {"offensive": {"enabled": False}}})
    assert screen("fucking hell", policy=policy).findings == []


def test_watched_terms_are_flagged_with_their_category_and_action():
    policy = Policy.from_dict(
        {
            "watched_terms": [
                {"term": "Mill Road", "category": "location", "action": "block"},
                {"term": "budget cuts", "category": "press", "action": "review"},
            ]
        }
    )
    report = screen("Our house on mill road; also budget cuts.", policy=policy)
    codes = {(f.check, f.code, f.action) for f in report.findings}
    assert ("location", "location.watched", "block") in codes
    assert ("watched_term", "watched_term.press", "review") in codes


def test_a_policy_loads_from_toml(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[checks.voice]\nenabled = false\n[[watched_terms]]\nterm = "bake sale"\n')
    policy = Policy.from_toml(path)
    assert not policy.enabled("voice")
    assert policy.watched_terms[0].term == "bake sale"


def test_a_bad_policy_is_refused():
    with pytest.raises(PolicyError):
        Policy.from_dict({"checks": {"person": {"action": "explode"}}})
    with pytest.raises(PolicyError):
        Policy.from_dict({"checks": {"nonsense": {}}})
