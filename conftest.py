"""Shared fixtures: two organisations and named personas.

alice and bob are workers, rita and ravi reviewers, all at Thistle; olga reviews at
another organisation and must never see Thistle's data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    settings.TASKS = IMMEDIATE_TASKS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def org(db: None) -> Any:
    from carepost.accounts.services import organisation_create

    return organisation_create(name="Thistle Care", slug="thistle")


@pytest.fixture
def other_org(db: None) -> Any:
    from carepost.accounts.services import organisation_create

    return organisation_create(name="Elsewhere Care", slug="elsewhere")


@pytest.fixture
def service(org: Any) -> Any:
    from carepost.accounts.services import service_create

    return service_create(
        organisation=org, name="Braeburn House", kind="care_home", sensitivity="public"
    )


def _member(org: Any, username: str, *roles: str) -> Any:
    from carepost.accounts.models import User
    from carepost.accounts.services import membership_create

    user = User.objects.create_user(
        username=username, password="pw-" + username, email=f"{username}@example.org"
    )
    return membership_create(organisation=org, user=user, roles=roles)


@pytest.fixture
def alice(org: Any) -> Any:
    return _member(org, "alice", "worker")


@pytest.fixture
def bob(org: Any) -> Any:
    return _member(org, "bob", "worker")


@pytest.fixture
def rita(org: Any) -> Any:
    return _member(org, "rita", "reviewer", "worker")


@pytest.fixture
def ravi(org: Any) -> Any:
    return _member(org, "ravi", "reviewer")


@pytest.fixture
def olga(other_org: Any) -> Any:
    return _member(other_org, "olga", "reviewer", "worker")


@pytest.fixture
def website(org: Any) -> Any:
    from carepost.publishing.models import Channel

    return Channel.objects.get(organisation=org, kind="website")


@pytest.fixture
def person(org: Any, service: Any) -> Any:
    from carepost.consent.models import Person

    return Person.objects.create(
        organisation=org,
        service=service,
        legal_name="Agnes Mary Baird",
        preferred_name="Nessie",
        aliases=["Mrs B"],
        date_of_birth=date(1938, 6, 1),
    )


@pytest.fixture
def carol(org: Any) -> Any:
    """The consent officer."""
    return _member(org, "carol", "consent_officer")


@pytest.fixture
def consented(person: Any, carol: Any) -> Any:
    """Nessie, who has agreed (verbally, witnessed) to her name, photo and story everywhere."""
    from carepost.consent.services import consent_record

    consent_record(
        membership=carol,
        person=person,
        media=["name", "photo", "story"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="Shona MacLeod, manager",
    )
    return person


# Real PostgreSQL and Redis servers on loopback, for the scale-out tests (tests/servers.py).
pytest_plugins = ["tests.server_fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "scale_out: worker processes on real servers (Redis, PostgreSQL); "
        "`make test` runs them in their own step",
    )
