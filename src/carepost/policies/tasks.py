"""Attestation reminders by email: enqueued after a version is published, and swept daily.

Idempotent: each (member, version, kind, due date) is claimed by inserting one row
under a unique constraint before the email goes out, so a second run sends nothing.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from carepost.accounts.models import Membership
from carepost.policies import services
from carepost.policies.due import State
from carepost.policies.models import Policy, PolicyVersion
from carepost.policies.selectors import statuses


def reminders_send(*, organisation_id: int, today: date | None = None) -> int:
    """Send every reminder that is due and not yet sent. Returns how many were sent."""
    today = today or timezone.localdate()
    members = list(
        Membership.objects.filter(organisation_id=organisation_id, is_active=True).select_related(
            "user", "organisation"
        )
    )
    policies = list(Policy.objects.filter(organisation_id=organisation_id))
    sent = 0
    for row in statuses(members=members, policies=policies, today=today):
        status = row.status
        if not status.needs_action or not row.member.user.email:
            continue
        assert status.due_on is not None and status.version_number is not None
        version = PolicyVersion.objects.get(policy=row.policy, number=status.version_number)
        kind = "overdue" if status.state == State.OVERDUE else "due"
        reminder = services.reminder_claim(
            membership=row.member, version=version, kind=kind, due_on=status.due_on
        )
        if reminder is None:
            continue  # already sent for this obligation
        url = settings.SITE_URL + reverse("policies:detail", args=[row.policy.pk])
        when = (
            f"It was due on {status.due_on:%d %B %Y}."
            if kind == "overdue"
            else f"Please read it by {status.due_on:%d %B %Y}."
        )
        try:
            send_mail(
                subject=f"Please read: {row.policy.title}"
                + (" (overdue)" if kind == "overdue" else ""),
                message=(
                    f"Hello {row.member.user},\n\n{status.reason_text} "
                    f"“{row.policy.title}” (version {version.number}) at "
                    f"{row.member.organisation.name}.\n{when}\n\n"
                    f"Read it and confirm here: {url}\n\n"
                    "You are getting this because your organisation asks every member of "
                    "staff to read its policies at induction, when they change, and "
                    "regularly after that.\n"
                ),
                from_email=None,
                recipient_list=[row.member.user.email],
            )
        except Exception:  # the email did not go: release the claim, try again next sweep
            services.reminder_release(reminder=reminder)
            continue
        services.reminder_mark_sent(reminder=reminder)
        sent += 1
    return sent


@task()
def attestation_reminders_send(organisation_id: int) -> int:
    return reminders_send(organisation_id=organisation_id)
