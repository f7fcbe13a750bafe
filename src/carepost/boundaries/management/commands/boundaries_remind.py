"""Queue the reminders that are due (plan reviews, privacy check-ups). Run daily from cron.

Idempotent: each reminder has a unique key, so running it twice sends nothing twice.
"""

from typing import Any

from django.core.management.base import BaseCommand

from carepost.boundaries.services import reminders_send


class Command(BaseCommand):
    help = "Email the reminders that are due: declaration reviews and privacy check-ups."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = reminders_send()
        self.stdout.write(f"{queued} reminder{'s' if queued != 1 else ''} queued.")
