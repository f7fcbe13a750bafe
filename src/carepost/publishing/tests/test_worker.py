from typing import Any

import pytest

from carepost.publishing.management.commands.worker import periodic_jobs

pytestmark = pytest.mark.django_db


def test_every_periodic_job_runs_and_is_idempotent(alice: Any, consented: Any) -> None:
    jobs = periodic_jobs(15)
    assert {j.name for j in jobs} >= {
        "outbox",
        "consent expiry",
        "boundaries reminders",
        "policy reminders",
    }
    for job in jobs:
        job.run()
        job.run()


def test_the_outbox_is_swept_more_often_than_reminders_are_sent() -> None:
    every = {j.name: j.every for j in periodic_jobs(15)}
    assert every["outbox"] == 15 and every["policy reminders"] >= 3600
