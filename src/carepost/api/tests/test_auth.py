"""Token authentication: who a token acts as, and every way it can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from carepost.accounts.models import ApiToken
from carepost.accounts.services import api_token_create, api_token_revoke
from carepost.api.tests.conftest import API, ApiClient

pytestmark = pytest.mark.django_db


def _assert_401(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "api-tokens" in response.json()["detail"]


def test_request_without_a_token_is_refused_with_401(worker):
    _assert_401(ApiClient(None).get("/posts"))


def test_unknown_token_is_refused_with_401(worker):
    _assert_401(ApiClient("cp_this-token-was-never-issued").get("/posts"))


def test_token_without_the_carepost_prefix_is_refused_with_401(worker):
    _assert_401(ApiClient("not-a-carepost-token").get("/me"))


def test_basic_auth_instead_of_a_bearer_token_is_refused_with_401(worker):
    response = Client().get(f"{API}/me", headers={"Authorization": "Basic d2VuZHk6cGFzc3dvcmQ="})
    _assert_401(response)


def test_revoked_token_is_refused_with_401(worker):
    token, secret = api_token_create(membership=worker, name="script")
    client = ApiClient(secret)
    assert client.get("/me").status_code == 200
    api_token_revoke(membership=worker, token=token)
    _assert_401(client.get("/me"))


def test_token_of_a_deactivated_member_is_refused_with_401(worker, client_for):
    client = client_for(worker)
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    _assert_401(client.get("/me"))


def test_logged_in_browser_session_alone_does_not_authenticate_the_api(worker):
    client = Client()
    client.force_login(worker.user)
    _assert_401(client.get(f"{API}/me"))


def test_token_acts_as_its_member_in_its_organisation(worker, client_for):
    response = client_for(worker).get("/me")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == worker.user_id
    assert body["organisation"]["slug"] == "glenbrae"
    assert body["roles"] == ["worker"]


def test_token_use_is_recorded_at_most_once_a_minute(worker):
    token, secret = api_token_create(membership=worker, name="script")
    client = ApiClient(secret)
    assert token.last_used_at is None

    client.get("/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/me")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at > first - timedelta(minutes=1)
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


def test_token_requests_need_no_csrf_token(worker, draft_body):
    _, secret = api_token_create(membership=worker, name="script")
    client = ApiClient(secret, enforce_csrf_checks=True)
    assert client.post("/posts", draft_body).status_code == 201
