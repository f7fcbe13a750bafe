"""Throw-away PostgreSQL and Redis servers on loopback, for tests and benchmarks.

Both use Debian's packages (`postgresql`, `redis-server`; `make system-test-deps`
installs them), listen on 127.0.0.1 only, on a free port, keep everything in a temporary
directory and are stopped, and the directory removed, when the context ends — also when
the code inside fails. If the process that started them dies without cleaning up, the
kernel sends them a signal too (parent-death signal), so none outlives a killed run.

PostgreSQL refuses to run as root: when we are root, it runs as `nobody` on a
directory `nobody` owns.

    with postgres_server() as pg, redis_server() as redis:
        pg.create_database("carepost")
        os.environ["DATABASE_URL"] = pg.url("carepost")
        os.environ["REDIS_URL"] = redis.url

From the shell (what `make test` does):

    python -m tests.servers run --postgres --redis -- python -m pytest ...

starts the servers, exports DATABASE_URL (database `carepost`) and REDIS_URL, runs the
command and stops the servers afterwards, returning the command's exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

# Parent-death signal: the child gets this when the thread that started it exits.
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent(sig: int) -> None:
    """preexec_fn: ask the kernel to signal the child when we die (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        pass


def _wait_port(port: int, process: subprocess.Popen[bytes], name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start-up (status {process.returncode}).")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start listening on 127.0.0.1:{port}.")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes], sig: int, timeout: float = 15) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


# -- PostgreSQL ------------------------------------------------------------------------


def postgres_bin_dir() -> Path | None:
    """Debian's newest PostgreSQL (/usr/lib/postgresql/<version>/bin), or None."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("postgres")
    return Path(found).parent if found else None


class PostgresServer:
    """A private PostgreSQL cluster: superuser `postgres`, trust auth on 127.0.0.1 only."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable
        self.port = 0
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: list[str] = []

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _as_owner(self, argv: list[str]) -> list[str]:
        return [*self._run_as, *argv]

    def start(self) -> PostgresServer:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError(
                "PostgreSQL is not installed: run `make system-test-deps` "
                "(Debian package postgresql)."
            )
        self.dir = Path(tempfile.mkdtemp(prefix="carepost-pg-"))
        data, sockets = self.dir / "data", self.dir / "run"
        sockets.mkdir()
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in (self.dir, sockets):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            self._run_as = [
                "setpriv",
                f"--reuid={nobody.pw_uid}",
                f"--regid={nobody.pw_gid}",
                "--clear-groups",
                "--pdeathsig=INT",
                "--",
            ]
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        initdb = subprocess.run(
            self._as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            env=env,
            cwd=self.dir,
            check=False,
        )
        if initdb.returncode:
            self.stop()
            raise RuntimeError("initdb failed:\n" + initdb.stderr.decode(errors="replace"))
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(sockets),
            "max_connections": "200",
            "shared_buffers": "128MB",
            # Throw-away data: do not wait for the disk. The benchmark keeps fsync on
            # (durable=True) and only stops commits waiting for it, like SQLite's WAL
            # mode with synchronous=NORMAL.
            "synchronous_commit": "off",
            "fsync": "on" if self.durable else "off",
            "full_page_writes": "on" if self.durable else "off",
            "log_min_messages": "warning",
        }
        for attempt in range(5):
            self.port = free_port()
            argv = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port)]
            for key, value in settings.items():
                argv += ["-c", f"{key}={value}"]
            log = open(self.dir / "postgres.log", "ab")  # noqa: SIM115 - kept for the process
            self.process = subprocess.Popen(
                self._as_owner(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.dir,
                preexec_fn=None if self._run_as else lambda: _die_with_parent(signal.SIGINT),
            )
            log.close()
            try:
                _wait_port(self.port, self.process, "PostgreSQL", timeout=30)
                self._wait_ready()
                return self
            except RuntimeError:
                _stop(self.process, signal.SIGINT)
                if attempt == 4:
                    tail = (self.dir / "postgres.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"PostgreSQL did not start:\n{tail}") from None
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or (
                    self.process is not None and self.process.poll() is not None
                ):
                    raise RuntimeError("PostgreSQL is not accepting connections.") from None
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        """Create (or re-create) an empty database and return its URL."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, signal.SIGINT)  # "fast" shutdown: disconnects clients
            self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- Redis -----------------------------------------------------------------------------


class RedisServer:
    """redis-server on 127.0.0.1, no persistence."""

    def __init__(self) -> None:
        self.port = 0
        self.dir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server is not installed: run `make system-test-deps` "
                "(Debian package redis-server)."
            )
        self.dir = Path(tempfile.mkdtemp(prefix="carepost-redis-"))
        for attempt in range(5):
            self.port = free_port()
            log = open(self.dir / "redis.log", "ab")  # noqa: SIM115 - kept for the process
            self.process = subprocess.Popen(
                [
                    binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                    "--daemonize",
                    "no",
                    "--loglevel",
                    "warning",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.dir,
                preexec_fn=lambda: _die_with_parent(signal.SIGTERM),
            )
            log.close()
            try:
                _wait_port(self.port, self.process, "redis-server", timeout=15)
                return self
            except RuntimeError:
                _stop(self.process, signal.SIGTERM)
                if attempt == 4:
                    tail = (self.dir / "redis.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(f"redis-server did not start:\n{tail}") from None
        return self

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, signal.SIGTERM)
            self.process = None
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    with PostgresServer(durable=durable) as server:
        yield server


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


# -- command line ----------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("Nothing to run: give a command after --.", file=sys.stderr)
        return 2
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        # SIGTERM (e.g. CI cancelling the job) unwinds the stack like Ctrl+C does.
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        started = []
        if args.postgres:
            pg = stack.enter_context(postgres_server())
            env["DATABASE_URL"] = pg.create_database(args.database)
            started.append(f"PostgreSQL on 127.0.0.1:{pg.port}")
        if args.redis:
            redis = stack.enter_context(redis_server())
            env["REDIS_URL"] = redis.url
            started.append(f"Redis on 127.0.0.1:{redis.port}")
        for key_value in args.env or []:
            key, _, value = key_value.partition("=")
            env[key] = value
        if started:
            print("Started " + " and ".join(started) + ".", flush=True)
        child = subprocess.Popen(command, env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            try:
                return child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                return child.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.servers")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="start servers, run a command with their URLs, stop them")
    run.add_argument("--postgres", action="store_true", help="export DATABASE_URL")
    run.add_argument("--redis", action="store_true", help="export REDIS_URL")
    run.add_argument("--database", default="carepost", help="database to create (PostgreSQL)")
    run.add_argument("--env", action="append", metavar="NAME=VALUE", help="also export this")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
