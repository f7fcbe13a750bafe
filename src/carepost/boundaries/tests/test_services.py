"""Every boundaries service: one test per failure branch, and success with its audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from carepost.boundaries import rules, services
from carepost.boundaries.models import (
    ConnectionRequest,
    DeclarationPlan,
    Notification,
    PrivacyCheckup,
)
from carepost.boundaries.selectors import policy_for
from carepost.boundaries.tests.helpers import (
    acknowledge,
    current_request,
    declare,
    in_days,
    last_event,
    log_request,
)
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from conftest import _member

pytestmark = pytest.mark.django_db


# connection_request_record --------------------------------------------------------------


def test_worker_records_a_declined_request_and_their_line_manager_is_emailed(
    alice: Any, mona: Any, jamie: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = log_request(alice, person=jamie)
    assert item.outcome == "declined_referred" and item.line_manager_id == mona.pk
    assert item.rule_key == "current_only_through_service" and item.notify_manager
    assert item.codes == ["5.8", "2.8"] and item.code_edition == "2024"
    event = last_event("connection_request.recorded")
    assert event.subject_id == str(item.pk) and event.actor_id == alice.user_id
    assert event.data["notified"] is True and event.data["rule"] == item.rule_key
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["mona@example.org"]
    assert f"/boundaries/requests/{item.pk}/" in email.body
    assert "James" not in email.body and "Jamie" not in email.body  # no personal detail
    assert Notification.objects.get().sent_at is not None
    assert last_event("notification.sent").data["kind"] == "connection_request"


def test_request_the_policy_does_not_escalate_is_not_emailed(
    alice: Any, mona: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = log_request(alice, requester="colleague", outcome="accepted")
    assert not item.notify_manager and mailoutbox == []
    assert last_event("connection_request.recorded").data["notified"] is False


def test_worker_can_choose_to_tell_their_line_manager(
    alice: Any, mona: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = log_request(alice, requester="relative", tell_manager=True)
    assert item.notify_manager and len(mailoutbox) == 1


def test_request_from_a_worker_without_a_line_manager_is_recorded_without_email(
    alice: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        item = log_request(alice)
    assert item.notify_manager and item.line_manager_id is None and mailoutbox == []
    assert last_event("connection_request.recorded").data["notified"] is False


def test_member_without_a_role_cannot_record_a_request(org: Any) -> None:
    with pytest.raises(PermissionDenied):
        log_request(_member(org, "nobody"))


def test_cannot_record_a_request_about_another_organisations_person(
    alice: Any, stranger: Any
) -> None:
    with pytest.raises(PermissionDenied):
        log_request(alice, person=stranger)
    assert not ConnectionRequest.objects.exists()


@pytest.mark.parametrize(
    "field", [{"requester": "boss"}, {"knew_before": "maybe"}, {"child": "?"}, {"platform": "irc"}]
)
def test_unanswered_question_is_refused(alice: Any, field: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed, match="Please answer"):
        log_request(alice, **field)


def test_a_very_long_name_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="first name"):
        log_request(alice, name="J" * 101)


def test_unknown_outcome_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="what you did"):
        log_request(alice, outcome="ghosted")


def test_over_long_note_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="note"):
        services.connection_request_record(
            membership=alice, answers=current_request(), outcome="declined", note="x" * 2001
        )


def test_the_recommendation_on_record_comes_from_the_organisations_policy(
    alice: Any, adam: Any
) -> None:
    doc = rules.default_document()
    rule = next(r for r in doc["rules"] if r["key"] == "current_only_through_service")
    rule["advice"] = "Say no kindly, {name}."
    services.boundary_policy_update(membership=adam, expected_version=0, document=doc)
    item = log_request(alice, name="Jo")
    assert item.advice == "Say no kindly, Jo." and item.policy_version == 1


# connection_request_mark_seen ---------------------------------------------------------


def test_line_manager_marks_a_request_as_seen(alice: Any, mona: Any) -> None:
    item = log_request(alice)
    seen = services.connection_request_mark_seen(membership=mona, request=item, comment="Chatted")
    assert seen.seen_by_id == mona.pk
    event = last_event("connection_request.seen")
    assert event.subject_id == str(item.pk) and event.actor_id == mona.user_id


def test_another_line_manager_cannot_mark_it_seen(alice: Any, mona: Any, max_: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.connection_request_mark_seen(membership=max_, request=log_request(alice))


def test_the_worker_cannot_mark_their_own_request_seen(alice: Any, mona: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.connection_request_mark_seen(membership=alice, request=log_request(alice))


def test_manager_in_another_organisation_cannot_mark_it_seen(
    alice: Any, mona: Any, oscar: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.connection_request_mark_seen(membership=oscar, request=log_request(alice))


def test_a_request_is_marked_seen_once(alice: Any, mona: Any) -> None:
    item = log_request(alice)
    services.connection_request_mark_seen(membership=mona, request=item)
    with pytest.raises(InvalidTransition):
        services.connection_request_mark_seen(membership=mona, request=item)


# declaration_create ---------------------------------------------------------------------


def test_worker_declares_a_relationship_and_their_manager_is_emailed(
    alice: Any, mona: Any, jamie: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        d = declare(alice, jamie)
    assert d.person == jamie and d.line_manager_id == mona.pk
    event = last_event("declaration.created")
    assert event.subject_id == str(d.pk) and event.data["referral"] is False
    assert [m.to for m in mailoutbox] == [["mona@example.org"]]
    assert "acknowledge" in mailoutbox[0].body


def test_worker_declares_someone_not_yet_on_the_register(alice: Any) -> None:
    d = declare(alice, referral_name="Morag Baird")
    assert d.person is None and d.referral_name == "Morag Baird"
    assert last_event("declaration.created").data["referral"] is True


def test_member_without_a_role_cannot_declare(org: Any, jamie: Any) -> None:
    with pytest.raises(PermissionDenied):
        declare(_member(org, "nobody"), jamie)


def test_cannot_declare_about_another_organisations_person(alice: Any, stranger: Any) -> None:
    with pytest.raises(PermissionDenied):
        declare(alice, stranger)


def test_declaration_must_name_someone(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="Choose the person"):
        declare(alice)


def test_declaration_cannot_name_both_a_person_and_a_referral(alice: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="not both"):
        declare(alice, jamie, referral_name="Someone")


def test_declaration_needs_a_known_relationship(alice: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="how you know"):
        declare(alice, jamie, relationship="rival")


def test_other_relationship_needs_a_few_words(alice: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="few words"):
        declare(alice, jamie, relationship="other")


def test_declaration_needs_since_when(alice: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="since when"):
        declare(alice, jamie, known_since=" ")


def test_declaration_note_has_a_limit(alice: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="note"):
        services.declaration_create(
            membership=alice,
            person=jamie,
            relationship="family",
            known_since="always",
            note="x" * 2001,
        )


def test_a_second_open_declaration_about_the_same_person_is_refused(alice: Any, jamie: Any) -> None:
    declare(alice, jamie)
    with pytest.raises(ValidationFailed, match="already have an open declaration"):
        declare(alice, jamie)


# declaration_acknowledge ----------------------------------------------------------------


def test_line_manager_acknowledges_with_a_plan_and_the_worker_is_emailed(
    alice: Any, mona: Any, jamie: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    d = declare(alice, jamie)
    with django_capture_on_commit_callbacks(execute=True):
        plan = acknowledge(mona, d)
    assert plan.number == 1 and plan.kind == "acknowledged"
    assert plan.measures == ["not_key_worker", "private_connection"]
    event = last_event("declaration.acknowledged")
    assert event.subject_id == str(d.pk) and event.actor_id == mona.user_id
    assert event.data["review_on"] == plan.review_on.isoformat()
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]


def test_another_line_manager_cannot_acknowledge(
    alice: Any, mona: Any, max_: Any, jamie: Any
) -> None:
    with pytest.raises(PermissionDenied):
        acknowledge(max_, declare(alice, jamie))


def test_the_worker_cannot_acknowledge_their_own_declaration(
    alice: Any, mona: Any, jamie: Any
) -> None:
    with pytest.raises(PermissionDenied):
        acknowledge(alice, declare(alice, jamie))


def test_a_line_manager_without_the_role_cannot_acknowledge(
    org: Any, alice: Any, jamie: Any
) -> None:
    from carepost.boundaries.tests.conftest import manage

    boss = _member(org, "boss", "worker")
    manage(boss, alice)
    with pytest.raises(PermissionDenied):
        acknowledge(boss, declare(alice, jamie))


def test_manager_in_another_organisation_cannot_acknowledge(
    alice: Any, oscar: Any, jamie: Any
) -> None:
    with pytest.raises(PermissionDenied):
        acknowledge(oscar, declare(alice, jamie))


def test_a_closed_declaration_cannot_be_acknowledged(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    services.declaration_close(membership=mona, declaration=d, reason="Jamie moved away")
    with pytest.raises(InvalidTransition, match="closed"):
        acknowledge(mona, d)


def test_a_declaration_is_acknowledged_once(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    with pytest.raises(InvalidTransition, match="already been acknowledged"):
        acknowledge(mona, d)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"measures": ["sing_daily"]}, "not recognised"),
        ({"measures": [], "plan": " "}, "Write the plan"),
        ({"review_on": timezone.localdate()}, "future"),
        ({"review_on": timezone.localdate() + timedelta(days=800)}, "two years"),
    ],
)
def test_a_plan_needs_content_and_a_sensible_review_date(
    alice: Any, mona: Any, jamie: Any, kwargs: dict[str, Any], message: str
) -> None:
    args = {"plan": "Agreed.", "measures": ["not_key_worker"], "review_on": in_days(30), **kwargs}
    with pytest.raises(ValidationFailed, match=message):
        services.declaration_acknowledge(membership=mona, declaration=declare(alice, jamie), **args)


# declaration_review ---------------------------------------------------------------------


def test_line_manager_reviews_the_plan_as_a_new_version(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    plan = services.declaration_review(
        membership=mona, declaration=d, expected_plan=1, plan="Still fine.", review_on=in_days(180)
    )
    assert plan.number == 2 and plan.kind == "reviewed"
    assert DeclarationPlan.objects.filter(declaration=d).count() == 2  # history kept
    assert last_event("declaration.reviewed").data["plan"] == 2


def test_review_by_someone_else_is_refused(alice: Any, mona: Any, max_: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    with pytest.raises(PermissionDenied):
        services.declaration_review(
            membership=max_, declaration=d, expected_plan=1, plan="x", review_on=in_days(9)
        )


def test_review_before_acknowledgement_is_refused(alice: Any, mona: Any, jamie: Any) -> None:
    with pytest.raises(InvalidTransition, match="Acknowledge"):
        services.declaration_review(
            membership=mona,
            declaration=declare(alice, jamie),
            expected_plan=0,
            plan="x",
            review_on=in_days(9),
        )


def test_review_of_a_closed_declaration_is_refused(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    services.declaration_close(membership=mona, declaration=d, reason="Left the service")
    with pytest.raises(InvalidTransition, match="closed"):
        services.declaration_review(
            membership=mona, declaration=d, expected_plan=1, plan="x", review_on=in_days(9)
        )


def test_review_based_on_an_old_plan_is_a_conflict(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    services.declaration_review(
        membership=mona, declaration=d, expected_plan=1, plan="v2", review_on=in_days(9)
    )
    with pytest.raises(ConflictError):
        services.declaration_review(
            membership=mona, declaration=d, expected_plan=1, plan="v2 again", review_on=in_days(9)
        )


def test_review_needs_a_future_date(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    with pytest.raises(ValidationFailed, match="future"):
        services.declaration_review(
            membership=mona, declaration=d, expected_plan=1, plan="x", review_on=in_days(-1)
        )


# declaration_plan_read ------------------------------------------------------------------


def test_worker_confirms_they_read_the_plan(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    plan = acknowledge(mona, d)
    services.declaration_plan_read(membership=alice, plan=plan)
    event = last_event("declaration.plan_read")
    assert event.subject_id == str(d.pk) and event.actor_id == alice.user_id


def test_only_the_worker_confirms_reading(alice: Any, mona: Any, jamie: Any) -> None:
    plan = acknowledge(mona, declare(alice, jamie))
    with pytest.raises(PermissionDenied):
        services.declaration_plan_read(membership=mona, plan=plan)


def test_nobody_in_another_organisation_confirms_reading(
    alice: Any, mona: Any, olga: Any, jamie: Any
) -> None:
    plan = acknowledge(mona, declare(alice, jamie))
    with pytest.raises(PermissionDenied):
        services.declaration_plan_read(membership=olga, plan=plan)


def test_reading_is_confirmed_once(alice: Any, mona: Any, jamie: Any) -> None:
    plan = acknowledge(mona, declare(alice, jamie))
    services.declaration_plan_read(membership=alice, plan=plan)
    with pytest.raises(InvalidTransition):
        services.declaration_plan_read(membership=alice, plan=plan)


# declaration_link_person ----------------------------------------------------------------


def test_worker_links_a_referral_once_the_person_is_on_the_register(alice: Any, jamie: Any) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    link = services.declaration_link_person(membership=alice, declaration=d, person=jamie)
    assert link.person == jamie
    event = last_event("declaration.linked")
    assert event.data == {"person": jamie.pk, "suggested": True}


def test_line_manager_can_link_a_referral(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, referral_name="J. Reid")
    services.declaration_link_person(membership=mona, declaration=d, person=jamie)
    assert last_event("declaration.linked").actor_id == mona.user_id


def test_someone_else_cannot_link(alice: Any, bob: Any, jamie: Any) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    with pytest.raises(PermissionDenied):
        services.declaration_link_person(membership=bob, declaration=d, person=jamie)


def test_nobody_in_another_organisation_can_link(alice: Any, olga: Any, stranger: Any) -> None:
    d = declare(alice, referral_name="Fiona Far")
    with pytest.raises(PermissionDenied):
        services.declaration_link_person(membership=olga, declaration=d, person=stranger)


def test_cannot_link_to_another_organisations_person(alice: Any, stranger: Any) -> None:
    d = declare(alice, referral_name="Fiona Far")
    with pytest.raises(PermissionDenied):
        services.declaration_link_person(membership=alice, declaration=d, person=stranger)


def test_a_declaration_about_someone_on_the_register_is_not_relinked(
    alice: Any, jamie: Any, person: Any
) -> None:
    d = declare(alice, jamie)
    with pytest.raises(InvalidTransition):
        services.declaration_link_person(membership=alice, declaration=d, person=person)


def test_a_referral_is_linked_once(alice: Any, jamie: Any, person: Any) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    services.declaration_link_person(membership=alice, declaration=d, person=jamie)
    with pytest.raises(InvalidTransition, match="already linked"):
        services.declaration_link_person(membership=alice, declaration=d, person=person)


def test_a_closed_referral_is_not_linked(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    services.declaration_close(membership=mona, declaration=d, reason="Referral withdrawn")
    with pytest.raises(InvalidTransition, match="closed"):
        services.declaration_link_person(membership=alice, declaration=d, person=jamie)


# declaration_close ----------------------------------------------------------------------


def test_line_manager_closes_a_declaration(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    services.declaration_close(membership=mona, declaration=d, reason="Jamie has moved away")
    assert last_event("declaration.closed").subject_id == str(d.pk)


def test_the_worker_cannot_close_it(alice: Any, mona: Any, jamie: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.declaration_close(
            membership=alice, declaration=declare(alice, jamie), reason="Done now"
        )


def test_closing_needs_a_reason(alice: Any, mona: Any, jamie: Any) -> None:
    with pytest.raises(ValidationFailed, match="why"):
        services.declaration_close(membership=mona, declaration=declare(alice, jamie), reason="")


def test_a_declaration_is_closed_once(alice: Any, mona: Any, jamie: Any) -> None:
    d = declare(alice, jamie)
    services.declaration_close(membership=mona, declaration=d, reason="Moved away")
    with pytest.raises(InvalidTransition):
        services.declaration_close(membership=mona, declaration=d, reason="Again")


# privacy_checkup_record ----------------------------------------------------------------


def test_worker_records_a_privacy_checkup(alice: Any) -> None:
    checkup = services.privacy_checkup_record(membership=alice, items_done=["tagging", "audience"])
    assert checkup.items_done == ["audience", "tagging"]  # in the policy's order
    event = last_event("privacy_checkup.recorded")
    assert event.data == {"items": 2, "of": 6} and event.actor_id == alice.user_id


def test_member_without_a_role_cannot_record_a_checkup(org: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.privacy_checkup_record(membership=_member(org, "nobody"), items_done=["tagging"])


def test_unknown_checkup_item_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="not on the check-up list"):
        services.privacy_checkup_record(membership=alice, items_done=["read_their_messages"])


def test_empty_checkup_is_refused(alice: Any) -> None:
    with pytest.raises(ValidationFailed, match="at least one"):
        services.privacy_checkup_record(membership=alice, items_done=[])
    assert not PrivacyCheckup.objects.exists()


# boundary_policy_update -----------------------------------------------------------------


def test_org_admin_saves_a_new_version_of_the_policy(org: Any, adam: Any) -> None:
    doc = rules.default_document()
    doc["official_channels"] = "the Thistle Facebook page"
    version = services.boundary_policy_update(
        membership=adam, expected_version=0, document=doc, note="Our page"
    )
    assert version.number == 1
    number, policy = policy_for(organisation=org)
    assert number == 1 and policy.official_channels == "the Thistle Facebook page"
    assert last_event("boundary_policy.updated").data == {"version": 1, "note": "Our page"}


def test_only_an_org_admin_edits_the_policy(alice: Any, mona: Any) -> None:
    for member in (alice, mona):
        with pytest.raises(PermissionDenied):
            services.boundary_policy_update(
                membership=member, expected_version=0, document=rules.default_document()
            )


def test_a_broken_policy_is_not_saved(adam: Any) -> None:
    doc = rules.default_document()
    doc["rules"][0]["action"] = "shrug"
    with pytest.raises(ValidationFailed, match="action"):
        services.boundary_policy_update(membership=adam, expected_version=0, document=doc)


def test_saving_over_someone_elses_change_is_a_conflict(adam: Any) -> None:
    services.boundary_policy_update(
        membership=adam, expected_version=0, document=rules.default_document()
    )
    with pytest.raises(ConflictError):
        services.boundary_policy_update(
            membership=adam, expected_version=0, document=rules.default_document()
        )


def test_each_organisation_has_its_own_policy(org: Any, other_org: Any, adam: Any) -> None:
    doc = rules.default_document()
    doc["official_channels"] = "Thistle's page"
    services.boundary_policy_update(membership=adam, expected_version=0, document=doc)
    assert policy_for(organisation=other_org)[0] == 0


# notifications --------------------------------------------------------------------------


def test_a_notification_is_sent_at_most_once(alice: Any, mona: Any, mailoutbox: Any) -> None:
    log_request(alice)  # queued, but the on-commit task never ran
    notification = Notification.objects.get()
    assert services.notification_send(notification_id=notification.pk) is True
    assert services.notification_send(notification_id=notification.pk) is False
    assert len(mailoutbox) == 1


def test_a_failed_email_is_recorded_not_retried(
    alice: Any, mona: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_request(alice)
    notification = Notification.objects.get()

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(services, "send_mail", broken)
    assert services.notification_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert "mail server down" in notification.error and notification.sent_at is None
    assert last_event("notification.failed").subject_id == str(notification.pk)
    assert len(mail.outbox) == 0


# lost races: the pre-check passed, but someone else wrote first ------------------------


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make every 'has this already happened?' pre-check say no, as in a race."""
    from django.db.models import QuerySet

    def lose() -> None:
        monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    return lose


def test_two_managers_marking_seen_at_once_is_a_conflict(alice: Any, mona: Any, race: Any) -> None:
    item = log_request(alice)
    services.connection_request_mark_seen(membership=mona, request=item)
    race()
    with pytest.raises(ConflictError):
        services.connection_request_mark_seen(membership=mona, request=item)


def test_two_acknowledgements_at_once_is_a_conflict(
    alice: Any, mona: Any, jamie: Any, race: Any
) -> None:
    d = declare(alice, jamie)
    acknowledge(mona, d)
    race()
    with pytest.raises(ConflictError):
        acknowledge(mona, d)
    assert d.plans.count() == 1


def test_reading_twice_at_once_is_a_conflict(alice: Any, mona: Any, jamie: Any, race: Any) -> None:
    plan = acknowledge(mona, declare(alice, jamie))
    services.declaration_plan_read(membership=alice, plan=plan)
    race()
    with pytest.raises(ConflictError):
        services.declaration_plan_read(membership=alice, plan=plan)


def test_linking_twice_at_once_is_a_conflict(alice: Any, jamie: Any, race: Any) -> None:
    d = declare(alice, referral_name="Jamie Reid")
    services.declaration_link_person(membership=alice, declaration=d, person=jamie)
    race()
    with pytest.raises(ConflictError):
        services.declaration_link_person(membership=alice, declaration=d, person=jamie)


def test_closing_twice_at_once_is_a_conflict(alice: Any, mona: Any, jamie: Any, race: Any) -> None:
    d = declare(alice, jamie)
    services.declaration_close(membership=mona, declaration=d, reason="Moved away")
    race()
    with pytest.raises(ConflictError):
        services.declaration_close(membership=mona, declaration=d, reason="Moved away")


def test_two_admins_saving_at_once_is_a_conflict(
    adam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.boundary_policy_update(
        membership=adam, expected_version=0, document=rules.default_document()
    )
    monkeypatch.setattr(
        services.selectors, "policy_document_for", lambda **kw: (0, rules.default_document())
    )
    with pytest.raises(ConflictError):
        services.boundary_policy_update(
            membership=adam, expected_version=0, document=rules.default_document()
        )
