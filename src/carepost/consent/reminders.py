"""The weekly email to consent officers: consents due for review in the next 30 days."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.common import clock
from carepost.consent.models import ReviewDigest
from carepost.consent.selectors import consents_due_for_review


def review_digests_send() -> int:
    """Send this week's digest to each organisation that has consents due. Once a week each."""
    year, week, _ = clock.today().isocalendar()
    label = f"{year}-W{week:02d}"
    sent = 0
    for organisation in Organisation.objects.all():
        due = list(consents_due_for_review(organisation=organisation))
        if not due:
            continue
        officers = Membership.objects.filter(
            organisation=organisation, is_active=True, roles__role=Role.CONSENT_OFFICER
        ).select_related("user")
        recipients = sorted({m.user.email for m in officers if m.user.email})
        if not recipients:
            continue
        try:
            with transaction.atomic():
                ReviewDigest.objects.create(organisation=organisation, week=label)
        except IntegrityError:
            continue  # already sent this week
        lines = [
            f"- {r.person.display_name}: {', '.join(r.media)} consent ends {r.valid_until:%-d %B %Y}"
            for r in due
        ]
        send_mail(
            subject=f"Carepost: {len(due)} consent(s) due for review in the next 30 days",
            message="These consents end soon. Ask each person (or their representative) whether "
            "they want to renew, change or end them:\n\n" + "\n".join(lines),
            from_email=None,
            recipient_list=recipients,
        )
        sent += 1
    return sent
