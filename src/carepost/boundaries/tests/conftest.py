"""Boundaries personas: mona line-manages alice; max line-manages bob; adam is the org
admin; oscar line-manages olga at the other organisation."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import _member


def manage(manager: Any, worker: Any) -> Any:
    from carepost.accounts.models import Membership

    Membership.objects.filter(pk=worker.pk).update(line_manager=manager)
    worker.refresh_from_db()
    return worker


@pytest.fixture
def mona(org: Any, alice: Any) -> Any:
    mona = _member(org, "mona", "line_manager", "worker")
    manage(mona, alice)
    return mona


@pytest.fixture
def max_(org: Any, bob: Any) -> Any:
    max_ = _member(org, "max", "line_manager")
    manage(max_, bob)
    return max_


@pytest.fixture
def adam(org: Any) -> Any:
    return _member(org, "adam", "org_admin")


@pytest.fixture
def oscar(other_org: Any, olga: Any) -> Any:
    oscar = _member(other_org, "oscar", "line_manager")
    manage(oscar, olga)
    return oscar


@pytest.fixture
def jamie(org: Any, service: Any) -> Any:
    from carepost.consent.models import Person

    return Person.objects.create(
        organisation=org, service=service, legal_name="James Reid", preferred_name="Jamie"
    )


@pytest.fixture
def stranger(other_org: Any) -> Any:
    """A person supported by the other organisation."""
    from carepost.accounts.services import service_create
    from carepost.consent.models import Person

    svc = service_create(
        organisation=other_org, name="Far House", kind="care_home", sensitivity="public"
    )
    return Person.objects.create(organisation=other_org, service=svc, legal_name="Fiona Far")
