"""The outbox under load and faults: duplicates, losses, throughput and scale-out.

Pushes approved publications through the real outbox — `manage.py worker` processes,
the real connectors, the three fake platforms (Mastodon, Bluesky, Facebook) on
127.0.0.1 — while the platforms fail 20% of publish requests at random, and one worker is
killed with SIGKILL half-way through (a replacement is started). Then it checks, from
the platforms' own records and the outbox rows:

- duplicates on the platforms = 0 (the same text twice on one platform);
- publications lost = 0 (every one ends published, or failed with a reason; an
  unknown outcome counts only once it has been reconciled);
- no orphan posts (on a platform, but recorded as not published);

and prints throughput per worker, and the scaling from 1 to 2 to 4 workers on Redis.

Runs: (1) SQLite + database task backend, (2) PostgreSQL + Redis/RQ, each with the
faults and the kill; (3) the scaling series on PostgreSQL + Redis, without faults, so
the figure is the outbox's own throughput rather than the back-off waits. PostgreSQL
and Redis are started on loopback by tests/servers.py and stopped afterwards.

    make bench-outbox                                   # 10,000 publications per run
    .venv/bin/python bench/outbox/run.py --count 2000 --scale-count 1000   # quicker

Faults (per platform, on the requests that create a post): 500, 502, 503, slow
(longer than the connector's timeout, so the outcome is unknown) and lose_response
(done, but the answer is lost) share 20%. 429 is injected too, a few times per
platform: a rate limit holds the whole channel back for as long as the platform says
(Facebook: a minute), so at a random 3-4% the run would measure waiting, not the
outbox. 401 is left out: it pauses the channel until a person reconnects it, which is
tested on its own (the connectors' tests). The outbox's back-off runs at 1/20 of its
production length (CAREPOST_BACKOFF_SCALE) so the retries fit in the run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from fakeplatforms.testing import RunningFake, running  # noqa: E402
from tests.outbox_load import (  # noqa: E402
    DB_BACKEND,
    RQ_BACKEND,
    Deployment,
    platform_settings,
)
from tests.servers import PostgresServer, RedisServer  # noqa: E402

PLATFORMS = ("mastodon", "bluesky", "facebook")
FAULTS = ("500", "502", "503", "slow", "lose_response")
# The requests that create a post: the faults hit these. Reads (the reconcile look-ups,
# which page through the account's posts) are left alone: failing 20% of every page
# would make a look-up through 80 pages all but impossible, which no platform does.
CREATE = {
    "mastodon": r"^/api/v1/statuses$",
    "bluesky": r"^/xrpc/com\.atproto\.repo\.createRecord$",
    "facebook": r"^/v[0-9.]+/[0-9]+/(feed|photos)$",
}
# 429s per platform: a rate limit holds the whole channel back as long as the platform
# says (Mastodon and Bluesky: seconds; Facebook: a minute), so they are counted, not random.
RATE_LIMITS = {"mastodon": 5, "bluesky": 5, "facebook": 1}
# The outbox's own waits (retry back-off, first check after a lost response) run at a
# twentieth of their production length, so a 10,000-publication run fits in minutes.
BACKOFF_SCALE = 0.05
CONNECTOR_TIMEOUT = 3
SLOW_SECONDS = 4  # longer than the connector's timeout: the answer never arrives in time


def fault_rules(total: float, platform: str) -> list[dict[str, Any]]:
    """Rules for the fake: each fault equally likely, `total` in all.

    The fake tries rules in order, each with its own probability, so the k-th rule's
    probability is share / (1 - (k-1) * share) for each to fire `share` of the time.
    """
    rules: list[dict[str, Any]] = []
    if total <= 0:
        return rules
    share = total / len(FAULTS)
    for k, fault in enumerate(FAULTS):
        rule: dict[str, Any] = {
            "method": "POST",
            "path": CREATE[platform],
            "fault": fault,
            "times": -1,
            "probability": share / (1 - k * share),
        }
        if fault == "slow":
            rule["seconds"] = SLOW_SECONDS
        rules.append(rule)
    rules.append(
        {
            "method": "POST",
            "path": CREATE[platform],
            "fault": "429",
            "times": RATE_LIMITS[platform],
            "probability": 0.01,
        }
    )
    return rules


@dataclass
class Result:
    name: str
    workers: int
    count: int
    seconds: float
    settled: bool
    status: dict[str, Any]
    duplicates: dict[str, int]
    orphans: dict[str, int]
    platform_posts: dict[str, int]
    fault_rate: float
    killed_at: float | None = None
    setup: dict[str, Any] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return int(self.count - self.status["terminal"])

    @property
    def throughput(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    @property
    def per_worker(self) -> float:
        return self.throughput / self.workers


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.fakes: dict[str, RunningFake] = {}
        self.stack = contextlib.ExitStack()
        self.postgres: PostgresServer | None = None
        self.redis: RedisServer | None = None
        self.cases = 0

    def __enter__(self) -> Bench:
        # The fakes report every dropped connection on stderr: send that to a file.
        saved = os.dup(2)
        with open(self.workdir / "fakes.log", "ab") as log:
            os.dup2(log.fileno(), 2)
            try:
                for kind in PLATFORMS:
                    self.fakes[kind] = self.stack.enter_context(running(kind))
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def need_servers(self) -> None:
        if self.postgres is None:
            self.postgres = self.stack.enter_context(PostgresServer(durable=True))
            self.redis = self.stack.enter_context(RedisServer())

    def deployment(self, database: str, backend: str) -> Deployment:
        self.cases += 1
        workdir = self.workdir / f"case-{self.cases}"
        workdir.mkdir()
        if database == "postgres":
            self.need_servers()
            assert self.postgres is not None
            url = self.postgres.create_database(f"bench_{self.cases}")
        else:
            url = f"sqlite:///{workdir / 'carepost.sqlite3'}"
        redis_url = ""
        if backend == RQ_BACKEND:
            self.need_servers()
            assert self.redis is not None
            redis_url = self.redis.url
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        urls = {kind: fake.url for kind, fake in self.fakes.items()}
        return Deployment(
            database_url=url,
            task_backend=backend,
            redis_url=redis_url,
            workdir=workdir,
            settings={
                "CAREPOST_SWEEP_INTERVAL": str(self.args.sweep_interval),
                "CAREPOST_SENDING_TIMEOUT": str(self.args.sending_timeout),
                "CAREPOST_CONNECTOR_TIMEOUT": str(CONNECTOR_TIMEOUT),
                "CAREPOST_BACKOFF_SCALE": str(BACKOFF_SCALE),
                **platform_settings(urls),
            },
        )

    def run_case(
        self,
        name: str,
        *,
        database: str,
        backend: str,
        workers: int,
        count: int,
        fault_rate: float,
        kill: bool,
    ) -> Result:
        print(f"\n== {name}: {count:,} publications, {workers} workers", flush=True)
        for fake in self.fakes.values():
            fake.reset()
        deployment = self.deployment(database, backend)
        started = time.monotonic()
        deployment.step(
            "prepare", *[f"--platform={k}={fake.url}" for k, fake in self.fakes.items()]
        )
        setup = deployment.step(
            "approve", "--count", str(count), "--kinds", ",".join(PLATFORMS), "--enqueue"
        )
        setup["prepare_seconds"] = round(time.monotonic() - started, 1)
        print(
            f"   set up in {setup['prepare_seconds']} s (rows {setup['create_seconds']} s, "
            f"tasks enqueued {setup['enqueue_seconds']} s)",
            flush=True,
        )
        for kind, fake in self.fakes.items():
            fake.faults(*fault_rules(fault_rate, kind))
        killed_at: float | None = None
        last_print = 0.0
        with deployment.running():
            t0 = time.monotonic()
            for _ in range(workers):
                deployment.start_worker()

            def on_poll(status: dict[str, Any]) -> None:
                nonlocal killed_at, last_print
                now = time.monotonic() - t0
                if kill and killed_at is None and status["terminal"] >= count * 0.4:
                    victim = random.choice([w for w in deployment.workers if w.poll() is None])
                    deployment.kill_worker(victim)
                    deployment.start_worker()
                    killed_at = now
                    print(
                        f"   {now:6.1f} s  SIGKILL worker pid {victim.pid} "
                        f"at {status['terminal']:,} done; replacement started",
                        flush=True,
                    )
                if now - last_print >= 15:
                    last_print = now
                    states = ", ".join(f"{k} {v:,}" for k, v in sorted(status["by_state"].items()))
                    print(f"   {now:6.1f} s  {states}", flush=True)

            deployment.wait_until_settled(
                count, timeout=self.args.timeout, poll=1.0, on_poll=on_poll
            )
            seconds = time.monotonic() - t0
        for fake in self.fakes.values():
            fake.faults()
        final = deployment.step("status", "--texts")
        published_texts = final.pop("published_texts") or {}
        duplicates: dict[str, int] = {}
        orphans: dict[str, int] = {}
        platform_posts: dict[str, int] = {}
        for kind, fake in self.fakes.items():
            texts = [p["text"] for p in fake.state()["posts"]]
            platform_posts[kind] = len(texts)
            duplicates[kind] = sum(n - 1 for n in Counter(texts).values() if n > 1)
            orphans[kind] = len(set(texts) - set(published_texts.get(kind, [])))
        result = Result(
            name=name,
            workers=workers,
            count=count,
            seconds=seconds,
            settled=final["terminal"] >= count,
            status=final,
            duplicates=duplicates,
            orphans=orphans,
            platform_posts=platform_posts,
            fault_rate=fault_rate,
            killed_at=killed_at,
            setup=setup,
        )
        print(
            f"   settled in {seconds:.1f} s: {json.dumps(final['by_state'])}; "
            f"retries {final['retries']:,}, reconciled {final['reconciled_published']:,} "
            f"published / {final['reconciled_not_sent']:,} not sent, "
            f"stuck sends recovered {final['stuck_recovered']}",
            flush=True,
        )
        if final["sample_failed"]:
            print(f"   failed, e.g.: {final['sample_failed'][:3]}", flush=True)
        if not result.settled:
            (self.workdir / f"{name.replace(' ', '_')}-workers.log").write_text(
                deployment.worker_logs()[-200_000:]
            )
        return result


def print_table(title: str, results: list[Result], *, scaling: bool = False) -> None:
    print(f"\n{title}")
    header = (
        f"{'run':<34} {'workers':>7} {'pubs':>7} {'seconds':>8} {'pubs/s':>7} "
        f"{'/worker':>8} {'dupes':>5} {'lost':>4} {'orphans':>7} {'failed':>6}"
    )
    if scaling:
        header += f" {'speed-up':>8}"
    print(header)
    print("-" * len(header))
    base = results[0].throughput if results else 0.0
    for r in results:
        line = (
            f"{r.name:<34} {r.workers:>7} {r.count:>7,} {r.seconds:>8.1f} "
            f"{r.throughput:>7.1f} {r.per_worker:>8.1f} {sum(r.duplicates.values()):>5} "
            f"{r.lost:>4} {sum(r.orphans.values()):>7} {r.status['by_state'].get('failed', 0):>6}"
        )
        if scaling:
            line += f" {r.throughput / base if base else 0:>7.2f}x"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="publications per fault run")
    parser.add_argument(
        "--scale-count", type=int, default=3_000, help="publications per scaling run"
    )
    parser.add_argument("--workers", type=int, default=4, help="workers in the fault runs")
    parser.add_argument("--faults", type=float, default=0.20, help="share of failed requests")
    parser.add_argument("--sweep-interval", type=int, default=2)
    parser.add_argument("--sending-timeout", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=2400, help="seconds per run at most")
    parser.add_argument(
        "--only", choices=["sqlite", "postgres", "scaling"], action="append", help="run only these"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    only = set(args.only or ["sqlite", "postgres", "scaling"])
    # Ctrl+C or SIGTERM (also when started in the background) stops the workers, the
    # fakes and the servers before leaving.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    random.seed(6)
    workdir = Path(tempfile.mkdtemp(prefix="carepost-bench-outbox-"))
    print(
        f"Outbox benchmark: {os.cpu_count()} CPUs; faults {args.faults:.0%} of publish requests "
        f"({', '.join(FAULTS)}; 429 x{sum(RATE_LIMITS.values())} in all); sweep every "
        f"{args.sweep_interval} s, sends stuck after {args.sending_timeout} s, connector "
        f"timeout {CONNECTOR_TIMEOUT} s, back-off x{BACKOFF_SCALE}. Work directory {workdir}"
    )
    overall = time.monotonic()
    fault_runs: list[Result] = []
    scaling: list[Result] = []
    try:
        with Bench(args, workdir) as bench:
            if "sqlite" in only:
                fault_runs.append(
                    bench.run_case(
                        "SQLite + database backend",
                        database="sqlite",
                        backend=DB_BACKEND,
                        workers=args.workers,
                        count=args.count,
                        fault_rate=args.faults,
                        kill=True,
                    )
                )
            if "postgres" in only:
                fault_runs.append(
                    bench.run_case(
                        "PostgreSQL + Redis/RQ",
                        database="postgres",
                        backend=RQ_BACKEND,
                        workers=args.workers,
                        count=args.count,
                        fault_rate=args.faults,
                        kill=True,
                    )
                )
            if "scaling" in only:
                for n in (1, 2, 4):
                    scaling.append(
                        bench.run_case(
                            "PostgreSQL + Redis/RQ, no faults",
                            database="postgres",
                            backend=RQ_BACKEND,
                            workers=n,
                            count=args.scale_count,
                            fault_rate=0.0,
                            kill=False,
                        )
                    )
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if fault_runs:
        print_table(
            f"With {args.faults:.0%} faults and one worker killed (SIGKILL) mid-run",
            fault_runs,
        )
        for r in fault_runs:
            print(
                f"  {r.name}: per platform posts {r.platform_posts}, duplicates "
                f"{r.duplicates}, orphans {r.orphans}; killed at {r.killed_at or 0:.1f} s"
            )
    if scaling:
        print_table("Scaling on Redis (PostgreSQL, no faults)", scaling, scaling=True)
    print(f"\nTotal time {time.monotonic() - overall:.0f} s")
    problems = [
        f"{r.name} ({r.workers} workers): {what}"
        for r in fault_runs + scaling
        for what, bad in (
            (f"{sum(r.duplicates.values())} duplicates", sum(r.duplicates.values())),
            (f"{r.lost} lost", r.lost),
            (f"{sum(r.orphans.values())} orphan posts", sum(r.orphans.values())),
        )
        if bad
    ]
    for problem in problems:
        print("FAILED:", problem)
    assert not problems, "the outbox lost or duplicated publications"
    print("OK: no duplicates, nothing lost, no orphans.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
