"""Leases: one worker process at a time runs each periodic job, once per interval.

Every `manage.py worker` process runs the periodic jobs' loop; before running a job it
takes that job's lease. Taking it moves the lease's expiry on, so the other processes
skip the job until the expiry, which is set to the start of the run plus the interval
once the run is over. A worker that dies mid-run keeps the lease only for `hold`
seconds; then another one takes over.

- Database task backend: a `WorkerLease` row per job, taken with a conditional UPDATE
  (`... WHERE expires_at <= now`), which works the same on SQLite and PostgreSQL.
- RQ backend: a Redis key per job, set with `SET NX PX` (free when the key has
  expired), moved on with a compare-and-set script, so no database write is needed.

Both count the runs (`runs`), which tests and operators can read.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from carepost.common.models import WorkerLease

REDIS_PREFIX = "carepost:lease:"
_MOVE_ON = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


def holder_id() -> str:
    """Names this process in the lease (host, pid and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases(Protocol):
    def take(self, name: str, *, holder: str, hold: float) -> float:
        """Take the lease for `hold` seconds: 0 if taken, else seconds until it frees."""
        ...

    def move_on(self, name: str, *, holder: str, seconds: float) -> None:
        """Still holding it: keep it for `seconds` more from now (0 frees it)."""
        ...

    def runs(self, name: str) -> int: ...


class DatabaseLeases:
    def take(self, name: str, *, holder: str, hold: float) -> float:
        now = timezone.now()
        until = now + timedelta(seconds=hold)
        if WorkerLease.objects.filter(name=name, expires_at__lte=now).update(
            holder=holder, expires_at=until, runs=F("runs") + 1
        ):
            return 0.0
        expires_at = (
            WorkerLease.objects.filter(name=name).values_list("expires_at", flat=True).first()
        )
        if expires_at is None:
            try:
                with transaction.atomic():
                    WorkerLease.objects.create(name=name, holder=holder, expires_at=until, runs=1)
                return 0.0
            except IntegrityError:  # another worker created it first: it is theirs
                return hold
        return max((expires_at - now).total_seconds(), 0.01)

    def move_on(self, name: str, *, holder: str, seconds: float) -> None:
        WorkerLease.objects.filter(name=name, holder=holder).update(
            expires_at=timezone.now() + timedelta(seconds=max(seconds, 0))
        )

    def runs(self, name: str) -> int:
        runs = WorkerLease.objects.filter(name=name).values_list("runs", flat=True).first()
        return int(runs or 0)


class RedisLeases:
    def __init__(self, url: str) -> None:
        import redis

        self.redis: Any = redis.Redis.from_url(url)

    def take(self, name: str, *, holder: str, hold: float) -> float:
        key = REDIS_PREFIX + name
        if self.redis.set(key, holder, nx=True, px=max(int(hold * 1000), 1)):
            self.redis.incr(key + ":runs")
            return 0.0
        ttl_ms = self.redis.pttl(key)
        return max(ttl_ms / 1000, 0.01) if ttl_ms and ttl_ms > 0 else 0.01

    def move_on(self, name: str, *, holder: str, seconds: float) -> None:
        key = REDIS_PREFIX + name
        if seconds <= 0:
            self.redis.eval(
                "if redis.call('get', KEYS[1]) == ARGV[1] then "
                "return redis.call('del', KEYS[1]) end return 0",
                1,
                key,
                holder,
            )
            return
        self.redis.eval(_MOVE_ON, 1, key, holder, max(int(seconds * 1000), 1))

    def runs(self, name: str) -> int:
        return int(self.redis.get(REDIS_PREFIX + name + ":runs") or 0)


def uses_redis() -> bool:
    return bool(settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend")


@cache
def _redis_leases(url: str) -> RedisLeases:
    return RedisLeases(url)


def leases() -> Leases:
    """Redis leases with the RQ backend, database leases otherwise."""
    if uses_redis():
        return _redis_leases(settings.REDIS_URL)
    return DatabaseLeases()
