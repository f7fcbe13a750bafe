"""Scale-out: real `manage.py worker` processes on the Redis/RQ and database backends.

Each test builds a deployment of its own (a fresh SQLite file or PostgreSQL database,
Redis when RQ is used) and drives it from outside through tests/outbox_load.py, the
way an organisation runs Carepost: web process enqueues, workers publish.
`make test` runs these in their own step, with PostgreSQL and Redis started once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.outbox_load import DB_BACKEND, RQ_BACKEND, Deployment, platform_settings
from tests.server_fixtures import PostgresDatabases

pytestmark = pytest.mark.scale_out

FAKES = ("mastodon", "bluesky", "facebook")


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Any]]:
    """The three fake platforms, each in its own process, for the whole module."""
    from fakeplatforms.testing import running

    with running("mastodon") as m, running("bluesky") as b, running("facebook") as f:
        yield {"mastodon": m, "bluesky": b, "facebook": f}


@pytest.fixture
def clean_fakes(fakes: dict[str, Any]) -> dict[str, Any]:
    for fake in fakes.values():
        fake.reset()
    return fakes


def _deployment(
    tmp_path: Path,
    database: str,
    backend: str,
    redis_url: str,
    postgres_databases: PostgresDatabases | None,
    **settings: str,
) -> Deployment:
    if database == "postgres":
        assert postgres_databases is not None
        url = postgres_databases.create()
    else:
        url = f"sqlite:///{tmp_path / 'carepost.sqlite3'}"
    return Deployment(
        database_url=url,
        task_backend=backend,
        redis_url=redis_url if backend == RQ_BACKEND else "",
        workdir=tmp_path,
        settings={
            "CAREPOST_SWEEP_INTERVAL": "1",
            "CAREPOST_SENDING_TIMEOUT": "30",
            "CAREPOST_CONNECTOR_TIMEOUT": "10",
            **settings,
        },
    )


def _flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_rq_workers_publish_every_publication_once_on_every_platform(
    database: str,
    tmp_path: Path,
    redis_url: str,
    request: pytest.FixtureRequest,
    clean_fakes: dict[str, Any],
) -> None:
    _flush(redis_url)
    pg = request.getfixturevalue("postgres_databases") if database == "postgres" else None
    urls = {kind: fake.url for kind, fake in clean_fakes.items()}
    deployment = _deployment(
        tmp_path, database, RQ_BACKEND, redis_url, pg, **platform_settings(urls)
    )
    deployment.step("prepare", *[f"--platform={k}={u}" for k, u in urls.items()])
    total = 120
    deployment.step(
        "approve", "--count", str(total), "--kinds", "website," + ",".join(FAKES), "--enqueue"
    )
    with deployment.running():
        for _ in range(3):
            deployment.start_worker()
        status = deployment.wait_until_settled(total, timeout=180, poll=0.5)
    assert status["by_state"] == {"published": total}, deployment.worker_logs()[-3000:]
    for kind in FAKES:
        texts = [p["text"] for p in clean_fakes[kind].state()["posts"]]
        assert len(texts) == total // 4, kind
        assert not [t for t, n in Counter(texts).items() if n > 1], kind


@pytest.mark.parametrize("backend", [DB_BACKEND, RQ_BACKEND])
def test_the_outbox_sweep_runs_once_per_interval_however_many_workers(
    backend: str, tmp_path: Path, redis_url: str
) -> None:
    _flush(redis_url)
    deployment = _deployment(tmp_path, "sqlite", backend, redis_url, None)
    deployment.step("prepare")
    names = "--names=periodic:outbox,periodic:consent-expiry"
    with deployment.running():
        for _ in range(3):
            deployment.start_worker()
        deadline = time.monotonic() + 120
        while deployment.worker_logs().count("Worker started") < 3:
            assert time.monotonic() < deadline, deployment.worker_logs()
            time.sleep(0.2)
        time.sleep(2)  # every worker's periodic thread has had its first go
        before = deployment.step("lease-runs", names)
        started = time.monotonic()
        time.sleep(6)
        after = deployment.step("lease-runs", names)
        elapsed = time.monotonic() - started
        alive = [w.poll() is None for w in deployment.workers]
    assert all(alive), deployment.worker_logs()
    sweeps = after["periodic:outbox"] - before["periodic:outbox"]
    # Once a second in all: three workers each sweeping would make about 3 * elapsed.
    assert 3 <= sweeps <= elapsed + 2, (sweeps, elapsed)
    # The consent expiry sweep (once a minute) ran exactly once across the three.
    assert after["periodic:consent-expiry"] == 1


def test_a_worker_killed_while_sending_loses_and_duplicates_nothing(
    tmp_path: Path,
    redis_url: str,
    postgres_databases: PostgresDatabases,
    clean_fakes: dict[str, Any],
) -> None:
    _flush(redis_url)
    mastodon = clean_fakes["mastodon"]
    deployment = _deployment(
        tmp_path,
        "postgres",
        RQ_BACKEND,
        redis_url,
        postgres_databases,
        CAREPOST_SENDING_TIMEOUT="6",
        **platform_settings({"mastodon": mastodon.url}),
    )
    deployment.step("prepare", f"--platform=mastodon={mastodon.url}")
    # The first post takes 3 s on the platform: the worker is killed while it waits.
    mastodon.faults(
        {"method": "POST", "path": "/api/v1/statuses", "fault": "slow", "seconds": 3, "times": 1}
    )
    deployment.step("approve", "--count", "1", "--kinds", "mastodon", "--enqueue")
    with deployment.running():
        victim = deployment.start_worker("--no-periodic")
        deadline = time.monotonic() + 120
        while deployment.quick_status()["by_state"].get("sending") != 1:
            assert time.monotonic() < deadline, deployment.worker_logs()
            time.sleep(0.2)
        deployment.kill_worker(victim)
        deployment.start_worker()
        deployment.wait_until_settled(1, timeout=120, poll=0.5)
    status = deployment.step("status")
    assert status["by_state"] == {"published": 1}, deployment.worker_logs()[-3000:]
    assert status["stuck_recovered"] == 1  # the sweeper found it stuck in "sending"
    posts = mastodon.state()["posts"]
    assert len(posts) == 1
    # Add a second batch with the platform healthy: everything still goes out once.
    mastodon.faults()
    deployment.step(
        "approve", "--count", "20", "--kinds", "mastodon", "--prefix", "Second batch", "--enqueue"
    )
    with deployment.running():
        deployment.start_worker()
        deployment.start_worker()
        status = deployment.wait_until_settled(21, timeout=120, poll=0.5)
    assert status["by_state"] == {"published": 21}
    texts = [p["text"] for p in mastodon.state()["posts"]]
    assert len(texts) == len(set(texts)) == 21
