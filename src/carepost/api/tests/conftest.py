"""Fixtures for the API tests: two organisations, members with tokens, a JSON client.

Everything is built through the services, as the application would build it.
Self-contained on purpose: it does not rely on a project-wide conftest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from carepost.accounts.models import Membership, Organisation, Service, User
from carepost.accounts.roles import Role
from carepost.accounts.services import (
    api_token_create,
    membership_create,
    organisation_create,
    service_create,
)
from carepost.consent.models import Person
from carepost.publishing.models import Channel, ChannelKind

API = "/api/v1"
IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}


class ApiClient:
    """A test client that sends one member's token and speaks JSON."""

    def __init__(self, secret: str | None, *, enforce_csrf_checks: bool = False) -> None:
        self.client = Client(enforce_csrf_checks=enforce_csrf_checks)
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _url(self, path: str) -> str:
        return path if path.startswith(API) else API + path

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self._url(path), params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            self._url(path),
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(
            self._url(path), json.dumps(body), content_type="application/json", headers=self.headers
        )

    def post_multipart(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(self._url(path), data, headers=self.headers)


def _user(username: str) -> User:
    return User.objects.create_user(
        username=username, password="not-used-by-the-api", display_name=username.title()
    )


@pytest.fixture
def organisation(db: None) -> Organisation:
    return organisation_create(name="Glenbrae Care", slug="glenbrae")


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return organisation_create(name="Loch Side Support", slug="lochside")


@pytest.fixture
def service(organisation: Organisation) -> Service:
    return service_create(
        organisation=organisation,
        name="Rowan House",
        kind=Service.Kind.CARE_HOME,
        sensitivity=Service.Sensitivity.PUBLIC,
    )


@pytest.fixture
def person(organisation: Organisation, service: Service) -> Person:
    return Person.objects.create(
        organisation=organisation, service=service, legal_name="Morag Findlay"
    )


@pytest.fixture
def website(organisation: Organisation) -> Channel:
    return Channel.objects.get(organisation=organisation, kind=ChannelKind.WEBSITE)


@pytest.fixture
def make_member(organisation: Organisation) -> Callable[..., Membership]:
    def make(username: str, *roles: str, org: Organisation | None = None) -> Membership:
        return membership_create(
            organisation=org or organisation, user=_user(username), roles=roles
        )

    return make


@pytest.fixture
def worker(make_member: Callable[..., Membership]) -> Membership:
    return make_member("wendy", Role.WORKER)


@pytest.fixture
def reviewer(make_member: Callable[..., Membership]) -> Membership:
    return make_member("rory", Role.REVIEWER)


@pytest.fixture
def reviewer_author(make_member: Callable[..., Membership]) -> Membership:
    """A reviewer who also writes posts: may never approve their own."""
    return make_member("rhona", Role.WORKER, Role.REVIEWER)


@pytest.fixture
def outsider(
    make_member: Callable[..., Membership], other_organisation: Organisation
) -> Membership:
    """A reviewer in another organisation."""
    return make_member("olaf", Role.REVIEWER, Role.WORKER, org=other_organisation)


@pytest.fixture
def client_for() -> Callable[[Membership], ApiClient]:
    """One token and client per member, made on first use."""
    clients: dict[int, ApiClient] = {}

    def make(membership: Membership) -> ApiClient:
        if membership.pk not in clients:
            _, secret = api_token_create(membership=membership, name="tests")
            clients[membership.pk] = ApiClient(secret)
        return clients[membership.pk]

    return make


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    """Uploaded photos go to a throwaway folder, never to the checkout's var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def immediate_tasks(settings: Any) -> Iterator[None]:
    settings.TASKS = IMMEDIATE_TASKS
    yield


@pytest.fixture
def draft_body(website: Channel, service: Service) -> dict[str, Any]:
    return {
        "text": "Our sunflowers are taller than the fence this week. "
        "Thank you to everyone who watered them!",
        "channel_ids": [website.pk],
        "service_id": service.pk,
    }


@pytest.fixture
def create_post() -> Callable[[ApiClient, dict[str, Any]], dict[str, Any]]:
    def create(client: ApiClient, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/posts", body)
        assert response.status_code == 201, response.content
        data: dict[str, Any] = response.json()
        return data

    return create


@pytest.fixture
def submit_post() -> Callable[[ApiClient, dict[str, Any]], dict[str, Any]]:
    def submit(client: ApiClient, post: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/posts/{post['id']}/submit", {"expected_version": post["version"]})
        assert response.status_code == 200, response.content
        data: dict[str, Any] = response.json()
        return data

    return submit
