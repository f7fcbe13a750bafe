from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carepost.audit.models import AuditEvent
from carepost.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit 1 if any row was edited, deleted or inserted."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_chain_verify()
        if problems:
            for p in problems:
                self.stderr.write(f"event {p.seq}: {p.problem}")
            raise CommandError(f"Audit log verification FAILED: {len(problems)} problem(s).")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit log verified: {count} events, chain intact."))
