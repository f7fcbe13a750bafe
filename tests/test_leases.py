"""Leases: one worker per periodic job and interval, on the database and on Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.common.leases import DatabaseLeases, Leases, RedisLeases, leases
from carepost.common.models import WorkerLease
from carepost.publishing.management.commands.worker import Periodic, run_due


@pytest.fixture
def db_leases(db: None) -> DatabaseLeases:
    return DatabaseLeases()


@pytest.fixture
def redis_leases(redis_url: str) -> Iterator[RedisLeases]:
    lease = RedisLeases(redis_url)
    lease.redis.flushdb()
    yield lease
    lease.redis.flushdb()


def _both(request: pytest.FixtureRequest, kind: str) -> Leases:
    lease: Leases = request.getfixturevalue(kind)
    return lease


@pytest.fixture(params=["db_leases", pytest.param("redis_leases", marks=pytest.mark.scale_out)])
def lease(request: pytest.FixtureRequest) -> Leases:
    return _both(request, request.param)


def test_only_the_first_worker_takes_a_free_lease(lease: Leases) -> None:
    assert lease.take("job", holder="a", hold=30) == 0
    wait = lease.take("job", holder="b", hold=30)
    assert 25 < wait <= 30
    assert lease.runs("job") == 1


def test_a_lease_moved_on_is_free_again_only_after_the_interval(lease: Leases) -> None:
    assert lease.take("job", holder="a", hold=30) == 0
    lease.move_on("job", holder="a", seconds=0.3)
    assert lease.take("job", holder="b", hold=30) > 0
    time.sleep(0.4)
    assert lease.take("job", holder="b", hold=30) == 0
    assert lease.runs("job") == 2


def test_only_the_holder_can_move_a_lease_on(lease: Leases) -> None:
    assert lease.take("job", holder="a", hold=30) == 0
    lease.move_on("job", holder="b", seconds=0)
    assert lease.take("job", holder="b", hold=30) > 0


def test_a_lease_left_by_a_dead_worker_frees_itself(lease: Leases) -> None:
    assert lease.take("job", holder="dead", hold=0.2) == 0
    time.sleep(0.3)
    assert lease.take("job", holder="alive", hold=30) == 0


def test_the_database_lease_is_a_row_taken_by_a_conditional_update(
    db_leases: DatabaseLeases,
) -> None:
    db_leases.take("job", holder="a", hold=30)
    row = WorkerLease.objects.get(name="job")
    assert row.holder == "a" and row.expires_at > timezone.now() + timedelta(seconds=25)
    WorkerLease.objects.filter(name="job").update(expires_at=timezone.now())
    assert db_leases.take("job", holder="b", hold=30) == 0
    assert WorkerLease.objects.get(name="job").holder == "b"


def test_the_lease_store_follows_the_task_backend(settings: Any, db: None) -> None:
    assert isinstance(leases(), DatabaseLeases)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert isinstance(leases(), RedisLeases)


def test_three_workers_run_a_periodic_job_once_per_interval(db_leases: DatabaseLeases) -> None:
    calls: list[str] = []
    workers = {
        name: [Periodic("outbox", 0.5, lambda name=name: calls.append(name))]
        for name in ("w1", "w2", "w3")
    }
    started = time.monotonic()
    while time.monotonic() - started < 1.6:
        for name, jobs in workers.items():
            run_due(jobs, lease=db_leases, holder=name)
        time.sleep(0.02)
    # At 0, 0.5, 1.0 and 1.5 s: four runs in all, not twelve.
    assert 3 <= len(calls) <= 4, calls
    assert db_leases.runs("periodic:outbox") == len(calls)


def test_a_failing_job_still_waits_its_interval(db_leases: DatabaseLeases) -> None:
    def broken() -> None:
        raise RuntimeError("the platform is down")

    jobs = [Periodic("outbox", 60, broken)]
    assert run_due(jobs, lease=db_leases, holder="w1") > 55
    assert run_due([Periodic("outbox", 60, broken)], lease=db_leases, holder="w2") > 55
    assert db_leases.runs("periodic:outbox") == 1
