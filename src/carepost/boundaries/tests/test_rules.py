"""The decision aid's recommendation rules, across every combination of its answers."""

from __future__ import annotations

import itertools

import pytest

from carepost.boundaries import rules
from carepost.boundaries.rules import Answers, PolicyError, policy_from_document, recommend

DEFAULT = policy_from_document(rules.default_document())

# requester, knew_before, child -> rule, action, tells the line manager, suggested reply
TABLE = [
    ("current", "no", "no", "current_only_through_service", "decline", True, "reminder"),
    ("current", "no", "yes", "child_not_known_before", "decline", True, "young_person"),
    ("current", "no", "unsure", "child_not_known_before", "decline", True, "young_person"),
    ("current", "yes", "no", "known_before_service", "declare", True, ""),
    ("current", "yes", "yes", "child_known_before", "declare", True, ""),
    ("current", "yes", "unsure", "child_known_before", "declare", True, ""),
    ("former", "no", "no", "former_only_through_service", "decline", True, "former"),
    ("former", "no", "yes", "child_not_known_before", "decline", True, "young_person"),
    ("former", "no", "unsure", "child_not_known_before", "decline", True, "young_person"),
    ("former", "yes", "no", "known_before_service", "declare", True, ""),
    ("former", "yes", "yes", "child_known_before", "declare", True, ""),
    ("former", "yes", "unsure", "child_known_before", "declare", True, ""),
    ("relative", "no", "no", "relative_only_through_service", "decline", False, "relative"),
    ("relative", "no", "yes", "child_not_known_before", "decline", True, "young_person"),
    ("relative", "no", "unsure", "child_not_known_before", "decline", True, "young_person"),
    ("relative", "yes", "no", "known_before_service", "declare", True, ""),
    ("relative", "yes", "yes", "child_known_before", "declare", True, ""),
    ("relative", "yes", "unsure", "child_known_before", "declare", True, ""),
    ("colleague", "no", "no", "colleague", "judgement", False, ""),
    ("colleague", "no", "yes", "child_not_known_before", "decline", True, "young_person"),
    ("colleague", "no", "unsure", "child_not_known_before", "decline", True, "young_person"),
    ("colleague", "yes", "no", "colleague", "judgement", False, ""),
    ("colleague", "yes", "yes", "child_known_before", "declare", True, ""),
    ("colleague", "yes", "unsure", "child_known_before", "declare", True, ""),
    ("other", "no", "no", "someone_else", "judgement", False, ""),
    ("other", "no", "yes", "child_not_known_before", "decline", True, "young_person"),
    ("other", "no", "unsure", "child_not_known_before", "decline", True, "young_person"),
    ("other", "yes", "no", "someone_else", "judgement", False, ""),
    ("other", "yes", "yes", "child_known_before", "declare", True, ""),
    ("other", "yes", "unsure", "child_known_before", "declare", True, ""),
]


def test_the_table_covers_every_combination_of_answers_once() -> None:
    combos = {(a.requester, a.knew_before, a.child) for a in rules.all_answer_combinations()}
    assert {row[:3] for row in TABLE} == combos
    assert len(TABLE) == len(combos) == 30


@pytest.mark.parametrize(("requester", "knew", "child", "rule", "action", "notify", "reply"), TABLE)
def test_default_rules_recommend_as_the_table_says(
    requester: str, knew: str, child: str, rule: str, action: str, notify: bool, reply: str
) -> None:
    rec = recommend(Answers(requester=requester, knew_before=knew, child=child), DEFAULT)
    assert (rec.rule_key, rec.action, rec.notify_manager) == (rule, action, notify)
    expected_reply = DEFAULT.templates[reply].title if reply else ""
    assert rec.reply_title == expected_reply
    assert bool(rec.reply_text) == bool(reply)
    # Every recommendation cites at least one Code, numbered from the 2024 edition.
    assert rec.citations and rec.edition == "2024"
    assert "{" not in rec.advice and "{" not in rec.reply_text


@pytest.mark.parametrize("answers", rules.all_answer_combinations())
def test_platform_never_changes_the_recommendation(answers: Answers) -> None:
    outcomes = {
        recommend(
            Answers(answers.requester, answers.knew_before, answers.child, platform=p), DEFAULT
        ).rule_key
        for p in rules.PLATFORMS
    }
    assert len(outcomes) == 1


def test_children_and_current_people_supported_always_reach_the_line_manager() -> None:
    for a in rules.all_answer_combinations():
        rec = recommend(a, DEFAULT)
        if a.child in ("yes", "unsure") or a.requester == "current":
            assert rec.notify_manager, a


def test_a_request_from_someone_known_only_through_the_service_is_declined() -> None:
    for a in rules.all_answer_combinations():
        if a.requester in ("current", "former", "relative") and a.knew_before == "no":
            assert recommend(a, DEFAULT).action == "decline", a


def test_advice_names_the_person_and_cites_code_5_8_for_a_current_person() -> None:
    rec = recommend(Answers("current", "no", "no", name="Jamie"), DEFAULT)
    assert rec.advice.startswith("Decline. You only know Jamie through the service (Code 5.8).")
    assert "our Facebook page and website" in rec.advice
    assert rec.reply_text.startswith("Hi Jamie,")
    assert rec.suggested_outcome == "declined_referred"
    assert [c.number for c in rec.citations] == ["5.8", "2.8"]


def test_without_a_name_the_advice_and_reply_still_read_well() -> None:
    rec = recommend(Answers("current", "no", "yes"), DEFAULT)
    assert rec.advice.startswith("Decline. This person is, or may be, a child")
    assert rec.reply_text.startswith("Hi there,")


def test_code_numbers_follow_the_chosen_edition() -> None:
    doc = rules.default_document()
    doc["code_edition"] = "2016"
    policy = policy_from_document(doc)
    rec = recommend(Answers("current", "no", "no"), policy)
    # 2.8 has no 2016 equivalent in the data, so only 5.8 is cited.
    assert rec.edition == "2016" and rec.code_numbers == ["5.8"]
    rec = recommend(Answers("former", "no", "no"), policy)
    assert "the Codes of Practice" in rec.advice


def test_renumbering_a_code_changes_every_advice_that_cites_it() -> None:
    doc = rules.default_document()
    doc["editions"]["2024"]["codes"]["suitability"]["number"] = "9.9"
    rec = recommend(Answers("current", "no", "no", name="Jo"), policy_from_document(doc))
    assert "(Code 9.9)" in rec.advice


def test_an_organisation_can_change_a_rule() -> None:
    doc = rules.default_document()
    relative = next(r for r in doc["rules"] if r["key"] == "relative_only_through_service")
    relative["notify_manager"] = True
    rec = recommend(Answers("relative", "no", "no"), policy_from_document(doc))
    assert rec.notify_manager


def test_when_no_rule_matches_the_safe_fallback_declines_and_tells_the_manager() -> None:
    doc = rules.default_document()
    doc["rules"] = [r for r in doc["rules"] if r["key"] == "colleague"]
    rec = recommend(Answers("current", "no", "no"), policy_from_document(doc))
    assert (rec.rule_key, rec.action, rec.notify_manager) == ("fallback", "decline", True)


def test_placeholders_in_a_name_are_not_interpreted() -> None:
    rec = recommend(Answers("current", "no", "no", name="{official_channels}"), DEFAULT)
    assert "You only know {official_channels} through" in rec.advice


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(code_edition="1999"), "edition"),
        (lambda d: d["rules"][0].update(action="ignore"), "action"),
        (lambda d: d["rules"][0].update(reply="missing"), "reply template"),
        (lambda d: d["rules"][0]["when"].update(child=["maybe"]), "unknown answer"),
        (lambda d: d["rules"][0]["when"].update(mood=["happy"]), "unknown question"),
        (lambda d: d["rules"][0].update(codes=["nonsense"]), "unknown code"),
        (lambda d: d["rules"][0].update(suggested_outcome="ghosted"), "suggested outcome"),
        (lambda d: d["rules"][1].update(key=d["rules"][0]["key"]), "Two rules"),
        (lambda d: d["rules"][0].update(advice=" "), "advice"),
        (lambda d: d.update(rules=[]), "at least one rule"),
        (lambda d: d.update(checkup_interval_days=1), "interval"),
        (lambda d: d.update(review_notice_days="soon"), "whole days"),
        (lambda d: d["templates"]["reminder"].update(body=""), "body"),
    ],
)
def test_a_broken_policy_is_refused_with_a_reason(change: object, message: str) -> None:
    doc = rules.default_document()
    change(doc)  # type: ignore[operator]
    with pytest.raises(PolicyError, match=message):
        policy_from_document(doc)


def test_default_document_is_a_fresh_copy_each_time() -> None:
    a = rules.default_document()
    a["rules"].clear()
    assert rules.default_document()["rules"]


def test_every_rule_and_template_in_the_defaults_is_reachable_or_used() -> None:
    used = {recommend(a, DEFAULT).rule_key for a in rules.all_answer_combinations()}
    assert used == {r.key for r in DEFAULT.rules}
    replies = {r.reply for r in DEFAULT.rules if r.reply}
    assert replies == set(DEFAULT.templates)
    assert len(list(itertools.chain(DEFAULT.checkup_items))) >= 5
