"""Every write to the boundaries register. Each re-checks role, organisation and state,
and writes its audit event in the same transaction. Emails go out after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from carepost.accounts.models import Membership
from carepost.audit.services import audit_event_record
from carepost.boundaries import rules, selectors
from carepost.boundaries.models import (
    BoundaryPolicyVersion,
    ConnectionRequest,
    ConnectionRequestSeen,
    Declaration,
    DeclarationClosure,
    DeclarationLink,
    DeclarationPlan,
    DeclarationPlanRead,
    Notification,
    PrivacyCheckup,
    Relationship,
)
from carepost.common.errors import (
    ConflictError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)
from carepost.common.tasks import enqueue_on_commit
from carepost.consent.models import Person

MAX_NOTE = 2000


def _site() -> str:
    return str(settings.SITE_URL)


def _notify(
    *,
    organisation: Any,
    recipient: Membership | None,
    kind: str,
    key: str,
    subject: str,
    body: str,
) -> Notification | None:
    """Queue one email (inside the caller's transaction); sent by a task after commit."""
    from carepost.boundaries.tasks import send_notification

    if recipient is None or not recipient.is_active or not recipient.user.email:
        return None
    notification = Notification.objects.create(
        organisation=organisation,
        recipient=recipient,
        kind=kind,
        key=key,
        subject=subject,
        body=body,
    )
    enqueue_on_commit(send_notification, notification.pk)
    return notification


def _fresh(worker_id: int) -> Membership:
    """The worker's membership as it is now (their line manager may have changed)."""
    return Membership.objects.get(pk=worker_id)


def _check_person(membership: Membership, person: Person | None) -> None:
    if person is not None and person.organisation_id != membership.organisation_id:
        raise PermissionDenied("That person is supported by another organisation.")


def _check_answers(answers: rules.Answers) -> None:
    for value, allowed, question in (
        (answers.requester, rules.REQUESTERS, "who sent the request"),
        (answers.knew_before, rules.KNEW_BEFORE, "whether you knew them before"),
        (answers.child, rules.CHILD, "whether they are a child or young person"),
        (answers.platform, rules.PLATFORMS, "the platform"),
    ):
        if value not in allowed:
            raise ValidationFailed(f"Please answer {question}.")
    if len(answers.name) > 100:
        raise ValidationFailed("Keep the name short: a first name is enough.")


# Connection requests -------------------------------------------------------------------


def connection_request_record(
    *,
    membership: Membership,
    answers: rules.Answers,
    outcome: str,
    person: Person | None = None,
    note: str = "",
    tell_manager: bool = False,
) -> ConnectionRequest:
    """Record a connection request and what the worker did. The recommendation is worked
    out again here from the organisation's current policy, never taken from the form."""
    selectors.require_staff(membership)
    _check_person(membership, person)
    _check_answers(answers)
    if outcome not in rules.OUTCOMES:
        raise ValidationFailed("Please choose what you did about the request.")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Please keep the note under {MAX_NOTE} characters.")
    version, policy = selectors.policy_for(organisation=membership.organisation)
    rec = rules.recommend(answers, policy)
    notify = rec.notify_manager or tell_manager
    manager = membership.line_manager
    with transaction.atomic():
        item = ConnectionRequest.objects.create(
            organisation=membership.organisation,
            worker=membership,
            line_manager=manager,
            platform=answers.platform,
            requester=answers.requester,
            knew_before=answers.knew_before,
            child=answers.child,
            person=person,
            requester_name=answers.name.strip(),
            outcome=outcome,
            note=note.strip(),
            policy_version=version,
            rule_key=rec.rule_key,
            recommended_action=rec.action,
            advice=rec.advice,
            code_edition=rec.edition,
            codes=rec.code_numbers,
            notify_manager=notify,
        )
        notice = None
        if notify:
            notice = _notify(
                organisation=membership.organisation,
                recipient=manager,
                kind=Notification.Kind.CONNECTION_REQUEST,
                key=f"connection_request:{item.pk}",
                subject=f"{membership.user} logged a connection request",
                body=(
                    f"{membership.user} logged a {rules.PLATFORMS[item.platform]} connection "
                    f"request from {rules.REQUESTERS[item.requester].lower()}.\n"
                    f"What they did: {rules.OUTCOMES[item.outcome]}.\n\n"
                    f"Please have a look and check in with them: "
                    f"{_site()}/boundaries/requests/{item.pk}/"
                ),
            )
        audit_event_record(
            action="connection_request.recorded",
            subject=item,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "outcome": outcome,
                "rule": rec.rule_key,
                "policy_version": version,
                "notify_manager": notify,
                "notified": notice is not None,
            },
        )
    return item


def connection_request_mark_seen(
    *, membership: Membership, request: ConnectionRequest, comment: str = ""
) -> ConnectionRequestSeen:
    if request.organisation_id != membership.organisation_id:
        raise PermissionDenied("That connection request belongs to another organisation.")
    if not selectors.manages(membership, _fresh(request.worker_id)):
        raise PermissionDenied("Only the worker's line manager can mark this as seen.")
    if ConnectionRequestSeen.objects.filter(request=request).exists():
        raise InvalidTransition("This has already been marked as seen.")
    try:
        with transaction.atomic():
            seen = ConnectionRequestSeen.objects.create(
                request=request, seen_by=membership, comment=comment.strip()[:MAX_NOTE]
            )
            audit_event_record(
                action="connection_request.seen",
                subject=request,
                actor=membership.user,
                organisation=membership.organisation,
                data={"comment": bool(seen.comment)},
            )
    except IntegrityError as exc:
        raise ConflictError("Someone marked this as seen a moment ago.") from exc
    return seen


# Declarations --------------------------------------------------------------------------


def declaration_create(
    *,
    membership: Membership,
    relationship: str,
    known_since: str,
    person: Person | None = None,
    referral_name: str = "",
    referral_note: str = "",
    relationship_detail: str = "",
    social_media_connected: bool = False,
    note: str = "",
) -> Declaration:
    selectors.require_staff(membership)
    _check_person(membership, person)
    referral_name = referral_name.strip()
    if (person is None) == (not referral_name):
        raise ValidationFailed(
            "Choose the person from the list, or give the name of someone not yet on it (not both)."
        )
    if relationship not in Relationship.values:
        raise ValidationFailed("Please say how you know them.")
    if relationship == Relationship.OTHER and not relationship_detail.strip():
        raise ValidationFailed("Please say a few words about how you know them.")
    if not known_since.strip():
        raise ValidationFailed("Please say since when you have known them (a year is fine).")
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"Please keep the note under {MAX_NOTE} characters.")
    if person is not None and any(
        r.person == person and not r.closed
        for r in selectors.my_declarations(membership=membership)
    ):
        raise ValidationFailed(
            "You already have an open declaration about this person. Your line manager can "
            "update the plan at its review."
        )
    manager = membership.line_manager
    with transaction.atomic():
        declaration = Declaration.objects.create(
            organisation=membership.organisation,
            worker=membership,
            line_manager=manager,
            person=person,
            referral_name=referral_name[:200],
            referral_note=referral_note.strip()[:300],
            relationship=relationship,
            relationship_detail=relationship_detail.strip()[:300],
            known_since=known_since.strip()[:100],
            social_media_connected=social_media_connected,
            note=note.strip(),
        )
        notice = _notify(
            organisation=membership.organisation,
            recipient=manager,
            kind=Notification.Kind.DECLARATION,
            key=f"declaration:{declaration.pk}",
            subject=f"{membership.user} has declared a relationship",
            body=(
                f"{membership.user} has told you that they know someone who uses, or is coming "
                "to, the service. Please acknowledge it and agree a plan with them.\n\n"
                f"{_site()}/boundaries/declarations/{declaration.pk}/"
            ),
        )
        audit_event_record(
            action="declaration.created",
            subject=declaration,
            actor=membership.user,
            organisation=membership.organisation,
            data={
                "relationship": relationship,
                "referral": person is None,
                "notified": notice is not None,
            },
        )
    return declaration


def _manager_check(membership: Membership, declaration: Declaration) -> None:
    if declaration.organisation_id != membership.organisation_id:
        raise PermissionDenied("That declaration belongs to another organisation.")
    if not selectors.manages(membership, _fresh(declaration.worker_id)):
        raise PermissionDenied("Only the worker's line manager can do this.")


def _plan_checks(measures: Sequence[str], plan: str, review_on: date) -> None:
    unknown = set(measures) - set(selectors.PLAN_MEASURES)
    if unknown:
        raise ValidationFailed("One of the plan's measures is not recognised.")
    if not plan.strip() and not measures:
        raise ValidationFailed("Write the plan you agreed, or tick at least one measure.")
    if review_on <= timezone.localdate():
        raise ValidationFailed("The review date must be in the future.")
    if (review_on - timezone.localdate()).days > 730:
        raise ValidationFailed("Review it within two years.")


def _add_plan(
    *,
    membership: Membership,
    declaration: Declaration,
    number: int,
    kind: str,
    measures: Sequence[str],
    plan: str,
    review_on: date,
) -> DeclarationPlan:
    try:
        with transaction.atomic():
            record = DeclarationPlan.objects.create(
                declaration=declaration,
                number=number,
                kind=kind,
                measures=[m for m in selectors.PLAN_MEASURES if m in measures],
                plan=plan.strip(),
                review_on=review_on,
                agreed_by=membership,
            )
            _notify(
                organisation=membership.organisation,
                recipient=declaration.worker,
                kind=Notification.Kind.PLAN,
                key=f"plan:{record.pk}",
                subject="Your line manager has agreed a plan",
                body=(
                    f"{membership.user} has {kind} your declaration and recorded a plan. "
                    "Please read it and let them know if anything is not right.\n\n"
                    f"{_site()}/boundaries/declarations/{declaration.pk}/"
                ),
            )
            audit_event_record(
                action=f"declaration.{kind}",
                subject=declaration,
                actor=membership.user,
                organisation=membership.organisation,
                data={
                    "plan": number,
                    "measures": record.measures,
                    "review_on": review_on.isoformat(),
                },
            )
    except IntegrityError as exc:
        raise ConflictError(
            "Someone else updated this plan while you were writing. Reload the page."
        ) from exc
    return record


def declaration_acknowledge(
    *,
    membership: Membership,
    declaration: Declaration,
    plan: str,
    review_on: date,
    measures: Sequence[str] = (),
) -> DeclarationPlan:
    """The line manager acknowledges the declaration with the agreed plan and a review date."""
    _manager_check(membership, declaration)
    if DeclarationClosure.objects.filter(declaration=declaration).exists():
        raise InvalidTransition("This declaration is closed.")
    if declaration.plans.exists():
        raise InvalidTransition(
            "This declaration has already been acknowledged. Review the plan instead."
        )
    _plan_checks(measures, plan, review_on)
    return _add_plan(
        membership=membership,
        declaration=declaration,
        number=1,
        kind=DeclarationPlan.Kind.ACKNOWLEDGED,
        measures=measures,
        plan=plan,
        review_on=review_on,
    )


def declaration_review(
    *,
    membership: Membership,
    declaration: Declaration,
    expected_plan: int,
    plan: str,
    review_on: date,
    measures: Sequence[str] = (),
) -> DeclarationPlan:
    """A review: the plan is agreed again (changed or not) with the next review date."""
    _manager_check(membership, declaration)
    if DeclarationClosure.objects.filter(declaration=declaration).exists():
        raise InvalidTransition("This declaration is closed.")
    current = declaration.plans.order_by("-number").values_list("number", flat=True).first()
    if current is None:
        raise InvalidTransition("Acknowledge the declaration first.")
    if current != expected_plan:
        raise ConflictError("Someone else updated this plan while you were writing. Reload.")
    _plan_checks(measures, plan, review_on)
    return _add_plan(
        membership=membership,
        declaration=declaration,
        number=current + 1,
        kind=DeclarationPlan.Kind.REVIEWED,
        measures=measures,
        plan=plan,
        review_on=review_on,
    )


def declaration_plan_read(*, membership: Membership, plan: DeclarationPlan) -> DeclarationPlanRead:
    """The worker confirms they have read the plan."""
    declaration = plan.declaration
    if declaration.organisation_id != membership.organisation_id:
        raise PermissionDenied("That plan belongs to another organisation.")
    if declaration.worker_id != membership.pk:
        raise PermissionDenied("Only the person who made the declaration can confirm this.")
    if DeclarationPlanRead.objects.filter(plan=plan).exists():
        raise InvalidTransition("You have already confirmed you read this plan.")
    try:
        with transaction.atomic():
            read = DeclarationPlanRead.objects.create(plan=plan, read_by=membership)
            audit_event_record(
                action="declaration.plan_read",
                subject=declaration,
                actor=membership.user,
                organisation=membership.organisation,
                data={"plan": plan.number},
            )
    except IntegrityError as exc:
        raise ConflictError("You have already confirmed you read this plan.") from exc
    return read


def declaration_link_person(
    *, membership: Membership, declaration: Declaration, person: Person
) -> DeclarationLink:
    """Link a referral declaration to the person, now they are on the register."""
    if declaration.organisation_id != membership.organisation_id:
        raise PermissionDenied("That declaration belongs to another organisation.")
    _check_person(membership, person)
    if declaration.worker_id != membership.pk and not selectors.manages(
        membership, _fresh(declaration.worker_id)
    ):
        raise PermissionDenied("Only the worker or their line manager can link this.")
    if declaration.person_id is not None or not declaration.referral_name:
        raise InvalidTransition("This declaration is already about someone on the register.")
    if DeclarationLink.objects.filter(declaration=declaration).exists():
        raise InvalidTransition("This declaration is already linked.")
    if DeclarationClosure.objects.filter(declaration=declaration).exists():
        raise InvalidTransition("This declaration is closed.")
    try:
        with transaction.atomic():
            link = DeclarationLink.objects.create(
                declaration=declaration, person=person, linked_by=membership
            )
            audit_event_record(
                action="declaration.linked",
                subject=declaration,
                actor=membership.user,
                organisation=membership.organisation,
                data={
                    "person": person.pk,
                    "suggested": selectors.person_matches_name(person, declaration.referral_name),
                },
            )
    except IntegrityError as exc:
        raise ConflictError("Someone linked this declaration a moment ago.") from exc
    return link


def declaration_close(
    *, membership: Membership, declaration: Declaration, reason: str
) -> DeclarationClosure:
    _manager_check(membership, declaration)
    reason = reason.strip()
    if len(reason) < 3:
        raise ValidationFailed("Say why it no longer applies (a few words).")
    if DeclarationClosure.objects.filter(declaration=declaration).exists():
        raise InvalidTransition("This declaration is already closed.")
    try:
        with transaction.atomic():
            closure = DeclarationClosure.objects.create(
                declaration=declaration, closed_by=membership, reason=reason[:MAX_NOTE]
            )
            audit_event_record(
                action="declaration.closed",
                subject=declaration,
                actor=membership.user,
                organisation=membership.organisation,
            )
    except IntegrityError as exc:
        raise ConflictError("Someone closed this declaration a moment ago.") from exc
    return closure


# Privacy check-up ----------------------------------------------------------------------


def privacy_checkup_record(*, membership: Membership, items_done: Sequence[str]) -> PrivacyCheckup:
    selectors.require_staff(membership)
    _, policy = selectors.policy_for(organisation=membership.organisation)
    known = [i.key for i in policy.checkup_items]
    if set(items_done) - set(known):
        raise ValidationFailed("One of the ticked items is not on the check-up list.")
    if not items_done:
        raise ValidationFailed("Tick at least one thing you checked.")
    with transaction.atomic():
        checkup = PrivacyCheckup.objects.create(
            organisation=membership.organisation,
            member=membership,
            items_done=[k for k in known if k in items_done],
        )
        audit_event_record(
            action="privacy_checkup.recorded",
            subject=checkup,
            actor=membership.user,
            organisation=membership.organisation,
            data={"items": len(checkup.items_done), "of": len(known)},
        )
    return checkup


# Organisation policy -------------------------------------------------------------------


def boundary_policy_update(
    *, membership: Membership, expected_version: int, document: dict[str, Any], note: str = ""
) -> BoundaryPolicyVersion:
    """Save a new version of the organisation's rules, templates and Code numbers."""
    selectors.require_org_admin(membership)
    try:
        rules.policy_from_document(document)
    except rules.PolicyError as exc:
        raise ValidationFailed(str(exc)) from exc
    current, _ = selectors.policy_document_for(organisation=membership.organisation)
    if current != expected_version:
        raise ConflictError(
            "Someone else changed the boundaries settings while you were editing. Reload."
        )
    try:
        with transaction.atomic():
            version = BoundaryPolicyVersion.objects.create(
                organisation=membership.organisation,
                number=current + 1,
                document=document,
                created_by=membership.user,
                note=note.strip()[:200],
            )
            audit_event_record(
                action="boundary_policy.updated",
                subject=version,
                actor=membership.user,
                organisation=membership.organisation,
                data={"version": version.number, "note": version.note},
            )
    except IntegrityError as exc:
        raise ConflictError(
            "Someone else changed the boundaries settings while you were editing. Reload."
        ) from exc
    return version


# Notifications and reminders -----------------------------------------------------------


def notification_send(*, notification_id: int) -> bool:
    """Send one queued email. Claims the row first, so it is sent at most once."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, claimed_at__isnull=True).update(
        claimed_at=now
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient__user").get(pk=notification_id)
    try:
        send_mail(
            notification.subject,
            notification.body,
            None,
            [notification.recipient.user.email],
        )
    except Exception as exc:  # any mail failure is recorded, not retried blindly
        with transaction.atomic():
            Notification.objects.filter(pk=notification_id).update(error=str(exc)[:1000])
            audit_event_record(
                action="notification.failed",
                subject=notification,
                organisation=notification.organisation,
                data={"kind": notification.kind},
            )
        return False
    with transaction.atomic():
        Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now())
        audit_event_record(
            action="notification.sent",
            subject=notification,
            organisation=notification.organisation,
            data={"kind": notification.kind, "recipient": notification.recipient_id},
        )
    return True


def reminders_send(*, today: date | None = None) -> int:
    """Queue every reminder that is due. Safe to run as often as you like: each reminder
    has a unique key, so nobody is reminded twice about the same thing."""
    from carepost.boundaries.tasks import send_notification

    today = today or timezone.localdate()
    queued = 0
    existing = set(Notification.objects.values_list("key", flat=True))
    for reminder in selectors.reminders_due(today=today):
        if reminder.key in existing:
            continue
        try:
            with transaction.atomic():
                notification = _notify(
                    organisation=reminder.recipient.organisation,
                    recipient=reminder.recipient,
                    kind=reminder.kind,
                    key=reminder.key,
                    subject=reminder.subject,
                    body=reminder.body,
                )
                if notification is None:
                    continue
                audit_event_record(
                    action="notification.queued",
                    subject=notification,
                    organisation=reminder.recipient.organisation,
                    data={"kind": reminder.kind, "key": reminder.key},
                )
        except IntegrityError:
            continue  # another run queued it first
        queued += 1
    for notification in selectors.notifications_unsent():
        enqueue_on_commit(send_notification, notification.pk)
    return queued
