"""Run the background worker: the task queue plus the periodic outbox sweeper."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection

from carepost.publishing.services import outbox_sweep

logger = logging.getLogger("carepost.worker")
# Consent expires by the day: checking every fourth round (a minute by default) is plenty.
CONSENT_SWEEP_EVERY = 4


def _sweep_forever(interval: int, stop: threading.Event) -> None:
    from carepost.consent.reminders import review_digests_send
    from carepost.consent.takedown import consent_expiry_sweep

    rounds = 0
    while not stop.wait(interval):
        rounds += 1
        try:
            close_old_connections()
            counts = outbox_sweep()
            if rounds % CONSENT_SWEEP_EVERY == 1:
                counts["consent_take_downs"] = consent_expiry_sweep()
                counts["review_digests"] = review_digests_send()
            if any(counts.values()):
                logger.info("Sweep: %s", counts)
        except Exception:  # keep sweeping: one bad round must not stop recovery
            logger.exception("Outbox sweep failed")
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Process background tasks and sweep the outbox (scheduled, stuck and unfinished work)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sweep-interval", type=int, default=settings.CAREPOST_SWEEP_INTERVAL)
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between queue polls."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_forever,
            args=(options["sweep_interval"], stop),
            name="outbox-sweeper",
            daemon=True,
        )
        sweeper.start()
        self.stdout.write(
            f"Worker started; sweeping the outbox every {options['sweep_interval']} s."
        )
        try:
            call_command(
                "db_worker", interval=options["interval"], startup_delay=False, reload=False
            )
        finally:
            stop.set()
