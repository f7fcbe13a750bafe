from typing import Any

from django.core.management.base import BaseCommand

from carepost.accounts.models import Organisation
from carepost.policies.tasks import reminders_send


class Command(BaseCommand):
    help = "Email policy reminders that are due (idempotent: run it daily, e.g. from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for organisation_id in Organisation.objects.values_list("pk", flat=True):
            total += reminders_send(organisation_id=organisation_id)
        self.stdout.write(f"Sent {total} reminder(s).")
