"""Withdrawal → every live publication down: how long, with the database task backend.

Sets up a throw-away SQLite database with 1,000 live publications featuring one person
across three channels, starts the real worker (`manage.py worker`, database backend),
withdraws the person's consent through the service, and times until every publication
is taken down. Repeats and prints the median and p95.

    make bench-takedown            # or: .venv/bin/python bench/takedown/run.py --runs 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLICATIONS = 1000
CHANNELS = 3


def setup_django(db_path: str, media: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world() -> dict[str, object]:
    from datetime import date

    from carepost.accounts.models import User
    from carepost.accounts.services import membership_create, organisation_create, service_create
    from carepost.consent.models import Person
    from carepost.publishing.models import Channel

    org = organisation_create(name="Bench Care", slug="bench")
    service = service_create(
        organisation=org, name="Bench House", kind="care_home", sensitivity="public"
    )

    def member(name: str, *roles: str) -> object:
        user = User.objects.create_user(
            username=name, password="x" * 12, email=f"{name}@example.org"
        )
        return membership_create(organisation=org, user=user, roles=roles)

    world = {
        "org": org,
        "author": member("author", "worker"),
        "reviewer": member("reviewer", "reviewer"),
        "officer": member("officer", "consent_officer"),
        "channels": [Channel.objects.get(organisation=org, kind="website")]
        + [
            Channel.objects.create(organisation=org, kind="website", name=f"Partner site {i}")
            for i in range(1, CHANNELS)
        ],
        "person": Person.objects.create(
            organisation=org,
            service=service,
            legal_name="Margaret Docherty",
            preferred_name="Peggy",
            date_of_birth=date(1936, 3, 3),
        ),
    }
    return world


def publish_many(world: dict[str, object]) -> int:
    """Consent, then enough approved posts on every channel to make PUBLICATIONS live ones."""
    from carepost.consent.services import consent_record
    from carepost.posts.services import DraftInput, post_create, post_submit
    from carepost.publishing.models import Publication
    from carepost.publishing.services import publication_send
    from carepost.review.services import review_approve

    consent_record(
        membership=world["officer"],
        person=world["person"],
        media=["name", "story"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Bench",
    )
    posts = -(-PUBLICATIONS // CHANNELS)
    for i in range(posts):
        post = post_create(
            membership=world["author"],
            draft=DraftInput(
                text=f"Peggy led the singing, afternoon {i}.",
                channels=world["channels"],
                people=[world["person"]],
            ),
        )
        post = post_submit(membership=world["author"], post=post, expected_version=post.version)
        review_approve(
            membership=world["reviewer"],
            post=post,
            revision_id=post.current_revision_id,
            expected_version=post.version,
        )
    ids = list(
        Publication.objects.filter(state="queued").values_list("pk", flat=True)[:PUBLICATIONS]
    )
    Publication.objects.filter(state="queued").exclude(pk__in=ids).update(state="cancelled")
    for pk in ids:
        publication_send(publication_id=pk)
    return Publication.objects.filter(state="published").count()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own manage.py
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "worker",
                "--interval",
                "0.05",
                "--sweep-interval",
                "3600",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def one_run(world: dict[str, object]) -> float:
    from carepost.consent.models import ConsentRecord
    from carepost.consent.services import consent_withdraw
    from carepost.publishing.models import Publication

    live = Publication.objects.filter(state="published").count()
    assert live == PUBLICATIONS, f"expected {PUBLICATIONS} live publications, found {live}"
    record = ConsentRecord.objects.filter(person=world["person"], withdrawal__isnull=True).get()
    started = time.perf_counter()
    consent_withdraw(membership=world["officer"], record=record)
    while Publication.objects.filter(state="taken_down").count() < PUBLICATIONS:
        if time.perf_counter() - started > 120:
            raise SystemExit("Gave up after 120 s: take-downs did not finish (see the worker log).")
        time.sleep(0.02)
    return time.perf_counter() - started


def reset(world: dict[str, object]) -> None:
    """Put the same publications back live with a fresh consent (bench set-up only)."""
    from carepost.consent.services import consent_record
    from carepost.publishing.models import Publication

    Publication.objects.filter(state="taken_down").update(
        state="published",
        take_down_requested_at=None,
        take_down_requested_by=None,
        take_down_reason="",
        take_down_outcome="",
        taken_down_at=None,
    )
    consent_record(
        membership=world["officer"],
        person=world["person"],
        media=["name", "story"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Bench",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="carepost-bench-")
    db_path = os.path.join(tmp, "bench.sqlite3")
    setup_django(db_path, os.path.join(tmp, "media"))
    print(
        f"Setting up {PUBLICATIONS} live publications of one person on {CHANNELS} channels …",
        flush=True,
    )
    t0 = time.perf_counter()
    world = build_world()
    print(f"  {publish_many(world)} live after {time.perf_counter() - t0:.1f} s")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}"}
    log = Path(tmp) / "worker.log"
    worker = start_worker(env, log)
    print(f"  worker log: {log}")
    durations = []
    try:
        time.sleep(2)  # let the worker start polling
        for i in range(args.runs):
            if i:
                reset(world)
            seconds = one_run(world)
            durations.append(seconds)
            print(
                f"  run {i + 1}: all {PUBLICATIONS} down {seconds:.2f} s after the withdrawal",
                flush=True,
            )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    durations.sort()
    p95 = durations[min(len(durations) - 1, round(0.95 * (len(durations) - 1)))]
    print()
    print("bench-takedown (database task backend, SQLite, one worker)")
    print(f"  publications per run : {PUBLICATIONS} across {CHANNELS} channels")
    print(f"  runs                 : {len(durations)}")
    print(f"  median               : {statistics.median(durations):.2f} s")
    print(f"  p95                  : {p95:.2f} s   (target: under 10 s)")
    print(
        f"  throughput (median)  : {PUBLICATIONS / statistics.median(durations):.0f} take-downs/s"
    )


if __name__ == "__main__":
    main()
