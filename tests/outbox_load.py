"""Drive the outbox from outside, the way a deployment runs it: separate processes.

A `Deployment` is a database (SQLite file or PostgreSQL), a task backend (database or
Redis/RQ) and any number of `manage.py worker` processes, all sharing one environment.
The Django-side steps run in their own processes too (`python -m tests.outbox_load
<step>`), so the caller — pytest or the benchmark — never holds a database connection
or Django settings of its own:

- `prepare`: migrate, then an organisation, a reviewer and an author, and channels on
  the fake platforms whose URLs are given (connected the way each connector expects);
- `approve`: N approved publications across those channels, created in bulk (posts
  and screened revisions in the approved state, which pass every publish-time check),
  then one publish task each, as approval would enqueue;
- `status`: every publication's state, how many are terminal, and timings;
- `reconnect`: reconnect any channel paused by a rejected token (what a person does).

Used by tests/test_scale_out.py (small) and bench/outbox/run.py (10,000 publications).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RQ_BACKEND = "django_tasks_rq.RQBackend"
DB_BACKEND = "django_tasks_db.DatabaseBackend"
ORG_SLUG = "loadtest"
# A publication is settled once published, failed with a reason, taken down or cancelled.
TERMINAL = ("published", "failed", "taken_down", "cancelled")


# -- the parent's side -----------------------------------------------------------------


@dataclass
class Deployment:
    database_url: str
    task_backend: str = DB_BACKEND
    redis_url: str = ""
    workdir: Path = field(default_factory=lambda: Path("."))
    settings: dict[str, str] = field(default_factory=dict)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "TASK_BACKEND", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        src = str(ROOT / "src")
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONPATH": os.pathsep.join([str(ROOT), src, env.get("PYTHONPATH", "")]),
                "DATABASE_URL": self.database_url,
                "TASK_BACKEND": self.task_backend,
                "MEDIA_ROOT": str(self.workdir / "media"),
                "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": "WARNING",
                **({"REDIS_URL": self.redis_url} if self.redis_url else {}),
                **self.settings,
            }
        )
        return env

    def step(self, name: str, *args: str, timeout: float = 900) -> dict[str, Any]:
        """Run one Django-side step in its own process; its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.outbox_load", name, *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(
                f"outbox_load {name} failed ({done.returncode}):\n"
                + done.stderr.decode(errors="replace")[-4000:]
            )
        answer: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
        return answer

    def start_worker(self, *extra: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"worker-{len(self.workers) + 1}.log", "ab")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "worker", "--verbosity=0", *extra],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.workers.append(process)
        return process

    def kill_worker(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, whatever it was doing is left half done."""
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.workers:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def worker_logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.workdir.glob("worker-*.log"))
        )

    def quick_status(self) -> dict[str, Any]:
        """Publication states straight from the database, without starting Django."""
        sql = (
            "SELECT state, last_error = '' AS no_reason, COUNT(*) FROM publishing_publication "
            "GROUP BY state, last_error = ''"
        )
        paused_sql = "SELECT COUNT(*) FROM publishing_channel WHERE status = 'needs_reauth'"
        if self.database_url.startswith("postgres"):
            import psycopg

            with psycopg.connect(self.database_url) as pg:
                rows = pg.execute(sql).fetchall()
                paused = pg.execute(paused_sql).fetchone()
        else:
            import sqlite3

            path = self.database_url.removeprefix("sqlite:///")
            lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                rows = lite.execute(sql).fetchall()
                paused = lite.execute(paused_sql).fetchone()
            finally:
                lite.close()
        by_state: dict[str, int] = {}
        terminal = 0
        for state, no_reason, n in rows:
            by_state[state] = by_state.get(state, 0) + n
            if state in TERMINAL and not (state == "failed" and no_reason):
                terminal += n
        return {
            "by_state": by_state,
            "terminal": terminal,
            "paused_channels": int(paused[0]) if paused else 0,
        }

    def wait_until_settled(
        self,
        total: int,
        *,
        timeout: float,
        poll: float = 1.0,
        reconnect: bool = False,
        on_poll: Any = None,
    ) -> dict[str, Any]:
        """Poll until every publication is terminal (or the time is up); the last status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.quick_status()
            if on_poll is not None:
                on_poll(status)
            if status["terminal"] >= total or time.monotonic() > deadline:
                return status
            if reconnect and status["paused_channels"]:
                self.step("reconnect")
            time.sleep(poll)

    @contextlib.contextmanager
    def running(self) -> Iterator[Deployment]:
        try:
            yield self
        finally:
            self.stop_workers()


# -- the Django side -------------------------------------------------------------------


def _setup_django() -> None:
    import django

    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _connect_mastodon(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    from fakeplatforms.mastodon import ACCOUNT_ID, USERNAME, authorise

    host = url.split("//", 1)[1]
    config = {
        "instance_url": url,
        "account": f"@{USERNAME}@{host}",
        "account_id": ACCOUNT_ID,
        "visibility": "public",
    }
    return config, authorise(url)


def _connect_bluesky(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    from carepost.publishing.connectors.bluesky.connector import session_create
    from fakeplatforms.bluesky import DEFAULT_APP_PASSWORD, DEFAULT_HANDLE

    session = session_create(url, DEFAULT_HANDLE, DEFAULT_APP_PASSWORD)
    config = {
        "service_url": url,
        "handle": session.handle,
        "did": session.did,
        "account": f"@{session.handle}",
    }
    credentials = {
        "app_password": DEFAULT_APP_PASSWORD,
        "access_jwt": session.access_jwt,
        "refresh_jwt": session.refresh_jwt,
    }
    return config, credentials


def _connect_facebook(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The documented flow: login dialog, code, long-lived user token, Page token."""
    from urllib.parse import parse_qs, urlsplit

    import httpx
    from django.conf import settings

    from fakeplatforms import facebook as fake

    version = settings.CAREPOST_FACEBOOK_GRAPH_VERSION
    redirect_uri = "http://127.0.0.1:9/callback/"
    dialog = f"{url}/{version}/dialog/oauth"
    answer = httpx.post(
        dialog,
        data={
            "client_id": fake.APP_ID,
            "redirect_uri": redirect_uri,
            "state": "s",
            "scope": "pages_manage_posts",
            "decision": "allow",
        },
    )
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    graph = f"{url}/{version}"
    secret = {"client_id": fake.APP_ID, "client_secret": fake.APP_SECRET}
    short = httpx.get(
        f"{graph}/oauth/access_token", params={**secret, "redirect_uri": redirect_uri, "code": code}
    ).json()["access_token"]
    long = httpx.get(
        f"{graph}/oauth/access_token",
        params={**secret, "grant_type": "fb_exchange_token", "fb_exchange_token": short},
    ).json()["access_token"]
    pages = httpx.get(f"{graph}/me/accounts", headers={"Authorization": f"Bearer {long}"}).json()
    page = pages["data"][0]
    config = {"page_id": page["id"], "page_name": page.get("name", ""), "graph_version": version}
    return config, {"page_access_token": page["access_token"]}


CONNECT = {
    "mastodon": _connect_mastodon,
    "bluesky": _connect_bluesky,
    "facebook": _connect_facebook,
}


def platform_settings(urls: dict[str, str]) -> dict[str, str]:
    """Environment for workers talking to the fakes (plain HTTP on loopback)."""
    env = {"CAREPOST_ALLOW_INSECURE_INSTANCES": "true"}
    if "facebook" in urls:
        from fakeplatforms import facebook as fake

        env.update(
            {
                "CAREPOST_FACEBOOK_APP_ID": fake.APP_ID,
                "CAREPOST_FACEBOOK_APP_SECRET": fake.APP_SECRET,
                "CAREPOST_FACEBOOK_GRAPH_URL": urls["facebook"],
                "CAREPOST_FACEBOOK_DIALOG_URL": urls["facebook"],
            }
        )
    return env


def step_prepare(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from carepost.accounts.models import Membership, Organisation, User
    from carepost.accounts.services import membership_create, organisation_create
    from carepost.publishing.channel_services import channel_connect
    from carepost.publishing.models import Channel

    org = Organisation.objects.filter(slug=ORG_SLUG).first()
    if org is None:
        org = organisation_create(name="Load Test Care", slug=ORG_SLUG)
        for username, roles in (("author", ("worker",)), ("reviewer", ("reviewer", "worker"))):
            user = User.objects.create_user(username=username, email=f"{username}@example.org")
            membership_create(organisation=org, user=user, roles=roles)
    reviewer = Membership.objects.get(organisation=org, user__username="reviewer")
    channels = {"website": Channel.objects.get(organisation=org, kind="website").pk}
    for spec in args.platform or []:
        kind, _, url = spec.partition("=")
        existing = Channel.objects.filter(organisation=org, kind=kind).first()
        if existing is None:
            config, credentials = CONNECT[kind](url)
            existing = channel_connect(
                membership=reviewer,
                kind=kind,
                name=f"Fake {kind}",
                config=config,
                credentials=credentials,
            )
        channels[kind] = existing.pk
    return {"organisation": org.pk, "channels": channels}


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def step_approve(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from carepost.accounts.models import Membership, Organisation
    from carepost.posts.models import Post, PostRevision, PostStatus
    from carepost.publishing import tasks
    from carepost.publishing.models import Channel, Publication

    org = Organisation.objects.get(slug=ORG_SLUG)
    author = Membership.objects.get(organisation=org, user__username="author").user
    kinds = args.kinds.split(",")
    channels = [Channel.objects.get(organisation=org, kind=k) for k in kinds]
    total = args.count
    started = time.monotonic()
    now = timezone.now()
    post_count = -(-total // len(channels))
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [
                Post(organisation=org, author=author, status=PostStatus.APPROVED)
                for _ in range(post_count)
            ],
            batch_size=500,
        )
        revisions = PostRevision.objects.bulk_create(
            [
                PostRevision(
                    post=post,
                    number=1,
                    text=f"{args.prefix} news item {i + 1}: a sunny afternoon in the garden.",
                    created_by=author,
                    screened_at=now,
                    screening_verdict="clear",
                )
                for i, post in enumerate(posts)
            ],
            batch_size=500,
        )
        for post, revision in zip(posts, revisions, strict=True):
            post.current_revision = revision
            post.approved_revision = revision
        Post.objects.bulk_update(posts, ["current_revision", "approved_revision"], batch_size=500)
        through = PostRevision.channels.through
        links = []
        publications = []
        remaining = total
        for revision in revisions:
            for channel in channels[: min(len(channels), remaining)]:
                links.append(through(postrevision_id=revision.pk, channel_id=channel.pk))
                publications.append(
                    Publication(
                        organisation=org,
                        post_id=revision.post_id,
                        revision=revision,
                        channel=channel,
                        scheduled_at=now,
                    )
                )
            remaining -= len(channels)
        through.objects.bulk_create(links, batch_size=1000)
        created = Publication.objects.bulk_create(publications, batch_size=500)
    create_seconds = time.monotonic() - started
    started = time.monotonic()
    ids = [p.pk for p in created]
    if args.enqueue:
        # One wake-up call per publication, as approval enqueues them (batched in
        # transactions only to make the set-up quicker on SQLite).
        for chunk in _chunks(ids, 500):
            with transaction.atomic():
                for pk in chunk:
                    tasks.publish_publication.enqueue(pk)
    return {
        "publications": len(ids),
        "first_id": min(ids),
        "last_id": max(ids),
        "create_seconds": round(create_seconds, 2),
        "enqueue_seconds": round(time.monotonic() - started, 2),
    }


def step_status(args: argparse.Namespace) -> dict[str, Any]:
    from django.db.models import Count, Max, Min, Q

    from carepost.publishing.models import Channel, ChannelStatus, Publication

    rows = Publication.objects.all()
    by_state = dict(rows.values_list("state").annotate(n=Count("pk")).order_by())
    by_kind: dict[str, dict[str, int]] = {}
    for kind, state, n in (
        rows.values_list("channel__kind", "state").annotate(n=Count("pk")).order_by()
    ):
        by_kind.setdefault(kind, {})[state] = n
    failed_without_reason = rows.filter(state="failed", last_error="").count()
    terminal = rows.filter(state__in=TERMINAL).exclude(Q(state="failed", last_error="")).count()
    times = rows.filter(state__in=TERMINAL).aggregate(
        first_claim=Min("claimed_at"), last_change=Max("updated_at")
    )
    from carepost.audit.models import AuditEvent

    reconciled = AuditEvent.objects.filter(action="publication.reconciled_published").count()
    reconciled_not_sent = AuditEvent.objects.filter(
        action="publication.reconciled_not_sent"
    ).count()
    retries = AuditEvent.objects.filter(action="publication.retry_scheduled").count()
    stuck_seen = AuditEvent.objects.filter(
        action="publication.outcome_unknown", data__error="the worker stopped while sending"
    ).count()
    window = None
    if times["first_claim"] and times["last_change"]:
        window = (times["last_change"] - times["first_claim"]).total_seconds()
    sample_failed = list(rows.filter(state="failed").values_list("channel__kind", "last_error")[:5])
    return {
        "total": rows.count(),
        "terminal": terminal,
        "by_state": by_state,
        "by_kind": by_kind,
        "failed_without_reason": failed_without_reason,
        "reconciled_published": reconciled,
        "reconciled_not_sent": reconciled_not_sent,
        "retries": retries,
        "stuck_recovered": stuck_seen,
        "attempts": rows.aggregate(n=Max("attempts"))["n"] or 0,
        "window_seconds": window,
        "published_texts": _published_texts() if args.texts else None,
        "paused_channels": list(
            Channel.objects.filter(status=ChannelStatus.NEEDS_REAUTH).values_list("kind", flat=True)
        ),
        "sample_failed": sample_failed,
    }


def _published_texts() -> dict[str, list[str]]:
    from carepost.publishing.models import Publication

    texts: dict[str, list[str]] = {}
    for kind, text in Publication.objects.filter(state="published").values_list(
        "channel__kind", "revision__text"
    ):
        texts.setdefault(kind, []).append(text)
    return texts


def step_reconnect(args: argparse.Namespace) -> dict[str, Any]:
    """What a reviewer does when a platform rejected the token: connect again."""
    from carepost.accounts.models import Membership
    from carepost.publishing.channel_services import channel_reconnect
    from carepost.publishing.models import Channel, ChannelStatus

    done = []
    for channel in Channel.objects.filter(status=ChannelStatus.NEEDS_REAUTH):
        reviewer = Membership.objects.get(
            organisation=channel.organisation, user__username="reviewer"
        )
        channel_reconnect(membership=reviewer, channel=channel, credentials=channel.credentials)
        done.append(channel.kind)
    return {"reconnected": done}


def step_lease_runs(args: argparse.Namespace) -> dict[str, Any]:
    from carepost.common.leases import leases

    return {name: leases().runs(name) for name in args.names.split(",")}


STEPS = {
    "prepare": step_prepare,
    "approve": step_approve,
    "status": step_status,
    "reconnect": step_reconnect,
    "lease-runs": step_lease_runs,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.outbox_load")
    sub = parser.add_subparsers(dest="step", required=True)
    prepare = sub.add_parser("prepare")
    prepare.add_argument("--platform", action="append", metavar="KIND=URL")
    approve = sub.add_parser("approve")
    approve.add_argument("--count", type=int, required=True)
    approve.add_argument("--kinds", required=True, help="comma-separated channel kinds")
    approve.add_argument("--prefix", default="Load test")
    approve.add_argument("--enqueue", action="store_true")
    status = sub.add_parser("status")
    status.add_argument("--texts", action="store_true")
    sub.add_parser("reconnect")
    runs = sub.add_parser("lease-runs")
    runs.add_argument("--names", required=True)
    args = parser.parse_args(argv)
    _setup_django()
    answer = STEPS[args.step](args)
    print(json.dumps(answer, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
