"""Run the background worker: the task queue plus the periodic jobs (sweepers, reminders)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

logger = logging.getLogger("carepost.worker")


@dataclass
class Periodic:
    name: str
    every: float  # seconds
    run: Callable[[], object]
    last: float = float("-inf")


def _outbox() -> object:
    from carepost.publishing.services import outbox_sweep

    return outbox_sweep()


def _consent_expiry() -> object:
    from carepost.consent.takedown import consent_expiry_sweep

    return consent_expiry_sweep()


def _consent_digest() -> object:
    from carepost.consent.reminders import review_digests_send

    return review_digests_send()


def _boundaries_reminders() -> object:
    from carepost.boundaries.services import reminders_send

    return reminders_send()


def _policy_reminders() -> object:
    from carepost.accounts.models import Organisation
    from carepost.policies.tasks import reminders_send

    return sum(
        reminders_send(organisation_id=pk)
        for pk in Organisation.objects.values_list("pk", flat=True)
    )


def periodic_jobs(sweep_interval: float) -> list[Periodic]:
    """Every job is idempotent, so a restart or a second worker only repeats harmless checks."""
    return [
        Periodic("outbox", sweep_interval, _outbox),
        # Consent expires by the day: once a minute is plenty.
        Periodic("consent expiry", max(sweep_interval, 60), _consent_expiry),
        Periodic("consent review digest", 3600, _consent_digest),
        Periodic("boundaries reminders", 3600, _boundaries_reminders),
        Periodic("policy reminders", 3600, _policy_reminders),
    ]


def _run_forever(jobs: list[Periodic], tick: float, stop: threading.Event) -> None:
    while not stop.wait(tick):
        for job in jobs:
            now = time.monotonic()
            if now - job.last < job.every:
                continue
            job.last = now
            try:
                close_old_connections()
                result = job.run()
                if isinstance(result, dict) and not any(result.values()):
                    continue
                if result:
                    logger.info("%s: %s", job.name, result)
            except Exception:  # keep going: one failed round must not stop recovery
                logger.exception("Periodic job %s failed", job.name)
            finally:
                connection.close()


class Command(BaseCommand):
    help = "Process background tasks and run the periodic jobs (outbox sweep, consent expiry, reminders)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sweep-interval", type=int, default=settings.CAREPOST_SWEEP_INTERVAL)
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between queue polls."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        jobs = periodic_jobs(options["sweep_interval"])
        tick = min(5.0, float(options["sweep_interval"]))
        periodic = threading.Thread(
            target=_run_forever, args=(jobs, tick, stop), name="periodic", daemon=True
        )
        periodic.start()
        self.stdout.write(
            f"Worker started; sweeping the outbox every {options['sweep_interval']} s."
        )
        try:
            call_command(
                "db_worker", interval=options["interval"], startup_delay=False, reload=False
            )
        finally:
            stop.set()
