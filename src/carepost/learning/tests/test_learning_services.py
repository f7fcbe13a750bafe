"""Learning services: one test per failure branch, and success with its audit event."""

from __future__ import annotations

from typing import Any

import pytest

from carepost.audit.models import AuditEvent
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.learning import services
from carepost.learning.models import BadgeAssertion, Module, ReflectionComment
from carepost.learning.tests.conftest import CLEAN, NAMING

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# modules


def test_admin_installs_the_four_starter_modules_each_with_a_badge(admin: Any) -> None:
    created = services.modules_install_starter(membership=admin)
    assert [m.slug for m in created] == ["social-media", "boundaries", "consent", "confidentiality"]
    assert all(m.badge_class.image_png[:8] == b"\x89PNG\r\n\x1a\n" for m in created)
    assert len(events("learning.module_published")) == 4
    assert services.modules_install_starter(membership=admin) == []


def test_a_worker_cannot_publish_modules(alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.modules_install_starter(membership=alice)


def test_a_module_needs_guidance(admin: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.module_create(membership=admin, title="T", summary="S", guidance=" ")


def test_module_links_must_be_web_addresses(admin: Any) -> None:
    with pytest.raises(ValidationFailed, match="web addresses"):
        services.module_create(
            membership=admin,
            title="T",
            summary="S",
            guidance="G",
            links=[{"title": "x", "url": "javascript:alert(1)"}],
        )


# reflection_save


def test_saving_a_reflection_screens_it_and_records_no_text_in_the_audit_log(
    alice: Any, module: Any, person: Any
) -> None:
    reflection = services.reflection_save(membership=alice, module=module, text=NAMING)
    assert reflection.screening_verdict == "review"
    (finding,) = reflection.blocking_findings
    assert finding["text"] == "Nessie" and finding["person_id"] == str(person.pk)
    assert not reflection.is_clean
    (event,) = events("learning.reflection_saved")
    assert event.data["finding_codes"] == ["person.preferred_name"]
    assert "Nessie" not in str(event.data)


def test_rewriting_the_reflection_resolves_the_finding(
    alice: Any, module: Any, person: Any
) -> None:
    first = services.reflection_save(membership=alice, module=module, text=NAMING)
    second = services.reflection_save(
        membership=alice, module=module, text=CLEAN, expected_version=first.version
    )
    assert second.pk == first.pk and second.version == 2
    assert second.is_clean and second.findings == []


def test_an_empty_reflection_is_refused(alice: Any, module: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.reflection_save(membership=alice, module=module, text="   ")


def test_a_module_of_another_organisation_is_refused(olga: Any, module: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.reflection_save(membership=olga, module=module, text=CLEAN)


def test_an_unpublished_module_takes_no_reflections(alice: Any, module: Any) -> None:
    Module.objects.filter(pk=module.pk).update(is_published=False)
    module.refresh_from_db()
    with pytest.raises(InvalidTransition):
        services.reflection_save(membership=alice, module=module, text=CLEAN)


def test_saving_over_a_newer_version_is_a_conflict(alice: Any, module: Any) -> None:
    services.reflection_save(membership=alice, module=module, text=CLEAN)
    services.reflection_save(membership=alice, module=module, text=CLEAN + " More.")
    with pytest.raises(ConflictError):
        services.reflection_save(
            membership=alice, module=module, text="Old window", expected_version=1
        )


def test_a_completed_reflection_cannot_change(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    services.reflection_complete(
        membership=alice, reflection=r, expected_version=r.version, share_evidence=False
    )
    with pytest.raises(InvalidTransition, match="evidence for your badge"):
        services.reflection_save(membership=alice, module=module, text=CLEAN + " x")


# reflection_share


def test_a_clean_reflection_is_shared_with_the_line_manager(
    managed_alice: Any, module: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    r = services.reflection_share(membership=managed_alice, reflection=r)
    assert r.shared_with_manager_at is not None
    assert (
        events("learning.reflection_shared")[0].data["line_manager"]
        == managed_alice.line_manager_id
    )


def test_a_reflection_with_findings_cannot_be_shared(
    managed_alice: Any, module: Any, person: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=NAMING)
    with pytest.raises(InvalidTransition, match="may identify someone"):
        services.reflection_share(membership=managed_alice, reflection=r)


def test_a_worker_without_a_line_manager_cannot_share(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    with pytest.raises(InvalidTransition, match="line manager"):
        services.reflection_share(membership=alice, reflection=r)


def test_someone_else_cannot_share_your_reflection(
    managed_alice: Any, bob: Any, module: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    with pytest.raises(PermissionDenied):
        services.reflection_share(membership=bob, reflection=r)


def test_sharing_twice_is_refused(managed_alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    r = services.reflection_share(membership=managed_alice, reflection=r)
    with pytest.raises(InvalidTransition, match="already shared"):
        services.reflection_share(membership=managed_alice, reflection=r)


def test_adding_a_name_after_sharing_withdraws_the_share(
    managed_alice: Any, module: Any, person: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    services.reflection_share(membership=managed_alice, reflection=r)
    r = services.reflection_save(membership=managed_alice, module=module, text=NAMING)
    assert r.shared_with_manager_at is None


# reflection_complete


def test_completing_a_clean_reflection_issues_a_hashed_badge(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    assertion = services.reflection_complete(
        membership=alice, reflection=r, expected_version=r.version, share_evidence=True
    )
    r.refresh_from_db()
    assert r.status == "completed" and r.completed_at is not None
    assert assertion.recipient == alice.user and assertion.evidence_public
    assert assertion.identity_hash.startswith("sha256$")
    assert "alice@example.org" not in assertion.identity_hash
    assert events("learning.module_completed") and events("learning.badge_issued")


def test_a_reflection_with_findings_cannot_complete_the_module(
    alice: Any, module: Any, person: Any
) -> None:
    r = services.reflection_save(membership=alice, module=module, text=NAMING)
    with pytest.raises(InvalidTransition, match="may identify someone"):
        services.reflection_complete(
            membership=alice, reflection=r, expected_version=r.version, share_evidence=False
        )
    assert not BadgeAssertion.objects.exists()


def test_a_reflection_under_a_hundred_words_cannot_complete(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text="Too short to count.")
    with pytest.raises(ValidationFailed, match="at least 100"):
        services.reflection_complete(
            membership=alice, reflection=r, expected_version=r.version, share_evidence=False
        )


def test_completing_from_a_stale_page_is_a_conflict(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    with pytest.raises(ConflictError):
        services.reflection_complete(
            membership=alice, reflection=r, expected_version=r.version - 1, share_evidence=False
        )


def test_completing_twice_is_refused(alice: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    services.reflection_complete(
        membership=alice, reflection=r, expected_version=r.version, share_evidence=False
    )
    r.refresh_from_db()
    with pytest.raises(InvalidTransition, match="already completed"):
        services.reflection_complete(
            membership=alice, reflection=r, expected_version=r.version, share_evidence=False
        )


def test_a_badge_needs_an_email_address(alice: Any, module: Any) -> None:
    alice.user.email = ""
    alice.user.save()
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    with pytest.raises(ValidationFailed, match="email"):
        services.reflection_complete(
            membership=alice, reflection=r, expected_version=r.version, share_evidence=False
        )


# badge_evidence_set


def test_the_earner_can_stop_sharing_their_evidence(alice: Any, bob: Any, module: Any) -> None:
    r = services.reflection_save(membership=alice, module=module, text=CLEAN)
    a = services.reflection_complete(
        membership=alice, reflection=r, expected_version=r.version, share_evidence=True
    )
    with pytest.raises(PermissionDenied):
        services.badge_evidence_set(membership=bob, assertion=a, public=False)
    a = services.badge_evidence_set(membership=alice, assertion=a, public=False)
    assert not a.evidence_public
    assert events("learning.badge_evidence_set")[0].data == {"evidence_public": False}


# reflection_comment_add


def test_the_line_manager_comments_on_a_shared_reflection(
    managed_alice: Any, lena: Any, module: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    services.reflection_share(membership=managed_alice, reflection=r)
    r.refresh_from_db()
    comment = services.reflection_comment_add(membership=lena, reflection=r, text="Well put.")
    assert ReflectionComment.objects.get() == comment
    assert events("learning.reflection_commented")[0].actor == lena.user


def test_the_line_manager_cannot_comment_before_it_is_shared(
    managed_alice: Any, lena: Any, module: Any
) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    with pytest.raises(InvalidTransition):
        services.reflection_comment_add(membership=lena, reflection=r, text="Hi")


def test_another_line_manager_cannot_comment(org: Any, managed_alice: Any, module: Any) -> None:
    from conftest import _member

    other = _member(org, "max", "line_manager")
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    services.reflection_share(membership=managed_alice, reflection=r)
    r.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.reflection_comment_add(membership=other, reflection=r, text="Hi")


def test_an_empty_comment_is_refused(managed_alice: Any, lena: Any, module: Any) -> None:
    r = services.reflection_save(membership=managed_alice, module=module, text=CLEAN)
    services.reflection_share(membership=managed_alice, reflection=r)
    r.refresh_from_db()
    with pytest.raises(ValidationFailed):
        services.reflection_comment_add(membership=lena, reflection=r, text=" ")


# self-assessment and scenarios


def _scores(value: int = 3) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    from carepost.learning import content

    inst = content.instrument()
    traits = {t.id: value for t in inst.traits}
    skills = {
        s.id: {"capability": value, "confidence": value, "relevance": value} for s in inst.skills
    }
    return traits, skills


def test_a_self_assessment_is_recorded_each_time(alice: Any) -> None:
    traits, skills = _scores(2)
    services.self_assessment_record(membership=alice, traits=traits, skills=skills)
    traits, skills = _scores(4)
    services.self_assessment_record(membership=alice, traits=traits, skills=skills)
    assert alice.self_assessments.count() == 2
    assert len(events("learning.self_assessment_recorded")) == 2


def test_a_score_outside_one_to_five_is_refused(alice: Any) -> None:
    traits, skills = _scores()
    traits["motivation"] = 6
    with pytest.raises(ValidationFailed, match="1"):
        services.self_assessment_record(membership=alice, traits=traits, skills=skills)


def test_every_trait_must_be_scored(alice: Any) -> None:
    traits, skills = _scores()
    del traits["ict"]
    with pytest.raises(ValidationFailed, match="six"):
        services.self_assessment_record(membership=alice, traits=traits, skills=skills)


def test_a_finished_scenario_is_recorded_with_its_good_choices(alice: Any) -> None:
    attempt = services.scenario_attempt_record(
        membership=alice, scenario_slug="friend-request", path=["decline", "log"]
    )
    assert attempt.good_choices == 2
    assert events("learning.scenario_completed")[0].data["path"] == ["decline", "log"]


def test_an_unfinished_scenario_is_not_recorded(alice: Any) -> None:
    with pytest.raises(InvalidTransition):
        services.scenario_attempt_record(
            membership=alice, scenario_slug="friend-request", path=["decline"]
        )


def test_a_choice_that_is_not_on_offer_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.scenario_attempt_record(
            membership=alice, scenario_slug="friend-request", path=["log"]
        )


def test_an_unknown_scenario_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.scenario_attempt_record(membership=alice, scenario_slug="nope", path=[])


def test_a_member_who_has_left_cannot_record_learning(alice: Any) -> None:
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        services.scenario_attempt_record(
            membership=alice, scenario_slug="friend-request", path=["decline", "log"]
        )


def test_issuer_details_can_be_changed_by_the_admin_only(admin: Any, alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.badge_issuer_update(
            membership=alice, name="x", email="a@b.org", url="https://x.org"
        )
    with pytest.raises(ValidationFailed):
        services.badge_issuer_update(membership=admin, name="x", email="nope", url="https://x")
    issuer = services.badge_issuer_update(
        membership=admin,
        name="Thistle Care",
        email="learning@thistle.example.org",
        url="https://thistle.example.org/",
    )
    assert issuer.email == "learning@thistle.example.org"
    assert events("learning.issuer_updated")
