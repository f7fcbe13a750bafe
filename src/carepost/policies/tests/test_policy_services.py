"""Policy services: one test per failure branch, and success with its audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.audit.models import AuditEvent
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.policies import services
from carepost.policies.models import Attestation, ImmutableError, PolicyVersion
from carepost.policies.tests.conftest import BODY_V1, make_policy, publish

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# policy_create


def test_org_admin_creates_a_policy_with_sections_codes_and_an_audit_event(admin: Any) -> None:
    policy = make_policy(admin, adopted=["2.8"])
    v1 = policy.versions.get()
    assert v1.number == 1 and v1.requires_reattestation
    assert [s.heading for s in v1.sections.all()] == [
        "Your own accounts",
        "Photos of people we support",
    ]
    assert v1.sections.get(anchor="photos-of-people-we-support").codes == ["1.5", "2.3"]
    assert v1.adopted_codes == ["1.5", "2.3", "2.8", "5.8"]
    (event,) = events("policy.created")
    assert event.subject_id == str(policy.pk) and event.actor == admin.user


def test_a_worker_cannot_create_a_policy(alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        make_policy(alice)


def test_an_unknown_code_number_is_refused(admin: Any) -> None:
    with pytest.raises(ValidationFailed, match=r"9\.9"):
        make_policy(admin, body="## Section\nCodes: 9.9\nText.")


def test_a_code_line_that_is_not_a_number_is_refused(admin: Any) -> None:
    with pytest.raises(ValidationFailed, match="not a Code number"):
        make_policy(admin, body="## Section\nCodes: boundaries\nText.")


def test_the_2016_numbering_is_checked_against_the_2016_codes(admin: Any) -> None:
    from carepost.policies.services import VersionInput, policy_create

    data = VersionInput(
        body="## Dignity\nCodes: 1.4\nText.",
        summary_of_changes="First.",
        effective_from=timezone.localdate(),
    )
    policy = policy_create(
        membership=admin, title="Old", slug="old", first_version=data, code_edition="2016"
    )
    assert policy.versions.get().adopted_codes == ["1.4"]
    with pytest.raises(ValidationFailed, match=r"1\.4"):
        make_policy(admin, slug="new", body="## Dignity\nCodes: 1.4\nText.")


def test_a_duplicate_short_name_is_refused(admin: Any, policy: Any) -> None:
    with pytest.raises(ValidationFailed, match="short name"):
        make_policy(admin)


def test_a_reference_to_a_missing_policy_is_refused(admin: Any) -> None:
    with pytest.raises(ValidationFailed, match="data-protection"):
        make_policy(admin, body="## Sharing\nSee: data-protection#sharing\nText.")


def test_cross_references_are_recorded_and_resolved_both_ways(admin: Any) -> None:
    dp = make_policy(
        admin,
        title="Data protection",
        slug="data-protection",
        body="## Sharing information\nCodes: 2.3\nShare only what is needed.",
    )
    sm = make_policy(admin, body="## Photos\nSee: data-protection#sharing-information\nText.")
    ref = sm.versions.get().sections.get().references.get()
    assert ref.target_policy == dp and ref.target_anchor == "sharing-information"
    from carepost.policies.selectors import policy_page

    page = policy_page(membership=admin, policy_id=dp.pk)
    (incoming,) = page.sections[0].referenced_by
    assert incoming.section.version.policy == sm


def test_an_empty_summary_is_refused(admin: Any) -> None:
    from carepost.policies.services import VersionInput, policy_create

    with pytest.raises(ValidationFailed, match="what this version changes"):
        policy_create(
            membership=admin,
            title="T",
            slug="t",
            first_version=VersionInput(
                body="Text", summary_of_changes=" ", effective_from=timezone.localdate()
            ),
        )


# policy_version_publish


def test_publishing_a_new_version_keeps_the_old_one_and_records_an_event(
    admin: Any, policy: Any
) -> None:
    v2 = publish(admin, policy)
    assert v2.number == 2 and v2.requires_reattestation
    assert policy.versions.get(number=1).body.strip() == BODY_V1.strip()
    (event,) = events("policy.version_published")
    assert event.data["version"] == 2 and event.data["requires_reattestation"] is True


def test_a_worker_cannot_publish_a_version(admin: Any, alice: Any, policy: Any) -> None:
    with pytest.raises(PermissionDenied):
        publish(alice, policy)


def test_an_admin_of_another_organisation_cannot_publish(other_admin: Any, policy: Any) -> None:
    with pytest.raises(PermissionDenied):
        publish(other_admin, policy)


def test_publishing_over_a_version_you_did_not_see_is_a_conflict(admin: Any, policy: Any) -> None:
    publish(admin, policy)
    from carepost.policies.services import VersionInput, policy_version_publish

    with pytest.raises(ConflictError):
        policy_version_publish(
            membership=admin,
            policy=policy,
            expected_number=1,
            data=VersionInput(
                body="Something else", summary_of_changes="x", effective_from=timezone.localdate()
            ),
        )


def test_an_unchanged_text_is_not_a_new_version(admin: Any, policy: Any) -> None:
    with pytest.raises(ValidationFailed, match="same as the current"):
        publish(admin, policy, body=BODY_V1)


def test_a_version_cannot_take_effect_before_the_previous_one(admin: Any, policy: Any) -> None:
    with pytest.raises(ValidationFailed, match="cannot take effect before"):
        publish(admin, policy, on=timezone.localdate() - timedelta(days=30))


def test_policy_versions_are_immutable(policy: Any) -> None:
    v1 = policy.versions.get()
    v1.body = "changed"
    with pytest.raises(ImmutableError):
        v1.save()
    with pytest.raises(ImmutableError):
        PolicyVersion.objects.filter(pk=v1.pk).update(body="changed")
    with pytest.raises(ImmutableError):
        v1.delete()


# policy_settings_update


def test_admin_changes_the_review_cycle_with_an_event(admin: Any, policy: Any) -> None:
    services.policy_settings_update(
        membership=admin, policy=policy, title="Social media policy", review_cycle_months=6
    )
    policy.refresh_from_db()
    assert policy.review_cycle_months == 6
    assert events("policy.settings_changed")[0].data["before"]["cycle_months"] == 12


def test_a_review_cycle_longer_than_five_years_is_refused(admin: Any, policy: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.policy_settings_update(
            membership=admin, policy=policy, title="x", review_cycle_months=61
        )


def test_a_worker_cannot_change_policy_settings(alice: Any, policy: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.policy_settings_update(
            membership=alice, policy=policy, title="x", review_cycle_months=6
        )


# attestation_record


def test_a_worker_attests_the_current_version_with_an_event(alice: Any, policy: Any) -> None:
    v1 = policy.versions.get()
    attestation = services.attestation_record(membership=alice, version=v1)
    assert attestation.version == v1 and attestation.membership == alice
    (event,) = events("policy.attested")
    assert event.actor == alice.user and event.data == {"policy": policy.pk, "version": 1}


def test_attesting_an_old_version_is_refused(admin: Any, alice: Any, policy: Any) -> None:
    publish(admin, policy)
    with pytest.raises(InvalidTransition, match="not the current version"):
        services.attestation_record(membership=alice, version=policy.versions.get(number=1))


def test_attesting_a_version_not_yet_in_effect_is_refused(admin: Any, alice: Any) -> None:
    policy = make_policy(admin, effective_from=timezone.localdate() + timedelta(days=5))
    with pytest.raises(InvalidTransition, match="no version in effect"):
        services.attestation_record(membership=alice, version=policy.versions.get())


def test_a_member_of_another_organisation_cannot_attest(olga: Any, policy: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.attestation_record(membership=olga, version=policy.versions.get())


def test_a_member_who_has_left_cannot_attest(alice: Any, policy: Any) -> None:
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        services.attestation_record(membership=alice, version=policy.versions.get())


def test_attestations_are_append_only(alice: Any, policy: Any) -> None:
    a = services.attestation_record(membership=alice, version=policy.versions.get())
    with pytest.raises(ImmutableError):
        a.save()
    with pytest.raises(ImmutableError):
        Attestation.objects.filter(pk=a.pk).delete()


# staff_placement_set


def test_admin_records_where_a_member_works(admin: Any, alice: Any, service: Any) -> None:
    placement = services.staff_placement_set(membership=admin, member=alice, service=service)
    assert placement is not None and placement.service == service
    assert events("staff.placement_set")[0].data == {"service": service.pk}
    assert services.staff_placement_set(membership=admin, member=alice, service=None) is None


def test_a_worker_cannot_record_placements(alice: Any, bob: Any, service: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.staff_placement_set(membership=alice, member=bob, service=service)


def test_a_placement_in_another_organisation_is_refused(
    admin: Any, olga: Any, service: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.staff_placement_set(membership=admin, member=olga, service=service)
