"""Run the background worker: the task queue plus the periodic jobs (sweepers, reminders).

The queue is whichever task backend is configured (`TASK_BACKEND`): the database
backend's worker, or an RQ worker on Redis. Run as many of these processes as you like
(docs/architecture.md, "Scaling out"): each periodic job runs in only one of them per
interval, because a worker runs a job only after taking its lease (common/leases.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from carepost.common.leases import Leases, holder_id, leases

logger = logging.getLogger("carepost.worker")

RQ_BACKEND = "django_tasks_rq.RQBackend"


@dataclass
class Periodic:
    name: str
    every: float  # seconds
    run: Callable[[], object]
    next_try: float = float("-inf")  # time.monotonic() before which this process won't try

    @property
    def lease_name(self) -> str:
        return "periodic:" + self.name.replace(" ", "-")

    @property
    def hold(self) -> float:
        """How long a run may take before another worker assumes this one died."""
        return self.every + max(60.0, 2 * self.every)


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


def _photo_checks() -> object:
    from carepost.posts.photo_services import photo_analysis_sweep

    return photo_analysis_sweep()


def periodic_jobs(sweep_interval: float) -> list[Periodic]:
    """Every job is idempotent, so a restart or a lost lease only repeats harmless checks."""
    return [
        Periodic("outbox", sweep_interval, _outbox),
        # Consent expires by the day: once a minute is plenty.
        Periodic("consent expiry", max(sweep_interval, 60), _consent_expiry),
        Periodic("photo checks", max(sweep_interval, 60), _photo_checks),
        Periodic("consent review digest", 3600, _consent_digest),
        Periodic("boundaries reminders", 3600, _boundaries_reminders),
        Periodic("policy reminders", 3600, _policy_reminders),
    ]


def run_due(jobs: list[Periodic], *, lease: Leases, holder: str) -> float:
    """Run each job whose turn it is (and whose lease we get); seconds until the next try."""
    for job in jobs:
        if time.monotonic() < job.next_try:
            continue
        try:
            wait = lease.take(job.lease_name, holder=holder, hold=job.hold)
        except Exception:  # the database or Redis is away: try again shortly
            logger.exception("Could not take the lease for %s", job.name)
            job.next_try = time.monotonic() + min(job.every, 5.0)
            continue
        if wait > 0:  # another worker has this turn
            job.next_try = time.monotonic() + wait
            continue
        started = time.monotonic()
        try:
            result = job.run()
            if result and not (isinstance(result, dict) and not any(result.values())):
                logger.info("%s: %s", job.name, result)
        except Exception:  # keep going: one failed round must not stop recovery
            logger.exception("Periodic job %s failed", job.name)
        finally:
            remaining = job.every - (time.monotonic() - started)
            job.next_try = time.monotonic() + max(remaining, 0.0)
            try:
                lease.move_on(job.lease_name, holder=holder, seconds=remaining)
            except Exception:
                logger.exception("Could not move the lease for %s on", job.name)
    now = time.monotonic()
    return max(0.0, min(job.next_try for job in jobs) - now)


def _run_forever(jobs: list[Periodic], stop: threading.Event, max_wait: float) -> None:
    holder = holder_id()
    lease = leases()
    while not stop.is_set():
        close_old_connections()
        try:
            wait = run_due(jobs, lease=lease, holder=holder)
        finally:
            connection.close()
        stop.wait(min(max(wait, 0.05), max_wait))


def _rq_worker_class() -> type:
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    class CarepostRQWorker(SimpleWorker):
        """Runs jobs in this process (no fork per job: the periodic thread stays safe),
        with Django's connection hygiene around each job, as a request would have."""

        job_class = Job

        def perform_job(self, job: Any, queue: Any) -> bool:
            close_old_connections()
            try:
                return bool(super().perform_job(job, queue))
            finally:
                close_old_connections()

    return CarepostRQWorker


class Command(BaseCommand):
    help = "Process background tasks and run the periodic jobs (outbox sweep, consent expiry, reminders)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sweep-interval", type=int, default=settings.CAREPOST_SWEEP_INTERVAL)
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds between queue polls (database backend).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Only process tasks; leave the periodic jobs to other workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.TASKS["default"]["BACKEND"]
        stop = threading.Event()
        if not options["no_periodic"]:
            jobs = periodic_jobs(options["sweep_interval"])
            periodic = threading.Thread(
                target=_run_forever,
                args=(jobs, stop, min(5.0, float(options["sweep_interval"]))),
                name="periodic",
                daemon=True,
            )
            periodic.start()
        self.stdout.write(
            f"Worker started ({'Redis/RQ' if backend == RQ_BACKEND else 'database'} queue); "
            f"sweeping the outbox every {options['sweep_interval']} s "
            "(one worker per round, whichever takes the lease)."
        )
        try:
            if backend == RQ_BACKEND:
                self._work_rq(verbosity=options["verbosity"])
            elif backend == "django_tasks_db.DatabaseBackend":
                call_command(
                    "db_worker",
                    interval=options["interval"],
                    startup_delay=False,
                    reload=False,
                    verbosity=options["verbosity"],
                )
            else:
                raise CommandError(f"The {backend} task backend has no worker to run.")
        finally:
            stop.set()

    def _work_rq(self, *, verbosity: int) -> None:
        import django_rq
        from django_tasks import task_backends
        from django_tasks_rq.backend import Job

        queue_names = sorted(task_backends["default"].queues)
        queues = [django_rq.get_queue(name, job_class=Job) for name in queue_names]
        worker = _rq_worker_class()(
            queues, connection=queues[0].connection, job_class=Job, name=holder_id()
        )
        close_old_connections()
        # RQ logs every job at INFO; Carepost's own log says what matters.
        worker.work(
            logging_level="DEBUG" if verbosity >= 2 else "WARNING",
            with_scheduler=False,
        )
