"""pytest fixtures for tests that need a real PostgreSQL or Redis (tests/servers.py).

Each test session (each xdist worker) starts at most one of each, on 127.0.0.1, and
stops it at the end. When `make test` has already started one for the whole run
(REDIS_URL, or a postgres:// DATABASE_URL in the environment), that one is used.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.servers import PostgresServer, RedisServer


class PostgresDatabases:
    """Makes empty databases on one PostgreSQL server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url

    def create(self, prefix: str = "carepost_scaleout") -> str:
        import psycopg
        from psycopg import sql

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        base = self.admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis server's URL: the run's own (REDIS_URL), or one started for this session."""
    existing = os.environ.get("REDIS_URL")
    if existing:
        # Tests empty their database: give each xdist worker a database of its own.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        number = int(worker.removeprefix("gw") or 0) % 15 + 1
        yield f"{existing.rsplit('/', 1)[0]}/{number}"
        return
    with RedisServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """Creates scratch databases on the run's PostgreSQL, or on one started for the session."""
    existing = os.environ.get("DATABASE_URL", "")
    if existing.startswith("postgres"):
        yield PostgresDatabases(existing.rsplit("/", 1)[0] + "/postgres")
        return
    with PostgresServer() as server:
        yield PostgresDatabases(server.url("postgres"))
