"""Domain errors become one JSON shape with the right status, in one place."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.test import RequestFactory

from carepost.api.api import api
from carepost.common.errors import (
    ConflictError,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("exc", "status", "detail"),
    [
        (PermissionDenied("Only reviewers can do this."), 403, "Only reviewers can do this."),
        (DjangoPermissionDenied(), 403, "You do not have permission to do this."),
        (DjangoPermissionDenied("Not yours."), 403, "Not yours."),
        (InvalidTransition("This post is a draft."), 409, "This post is a draft."),
        (ConflictError("Someone else changed it."), 409, "Someone else changed it."),
        (ValidationFailed("Please give a reason."), 400, "Please give a reason."),
        (DomainError("Something is wrong."), 400, "Something is wrong."),
        (Http404("No such post"), 404, "No such post."),
    ],
)
def test_each_domain_error_maps_to_its_status_with_a_plain_english_detail(exc, status, detail):
    request = RequestFactory().get("/api/v1/posts")
    response = api.on_exception(request, exc)
    assert response.status_code == status
    assert json.loads(response.content) == {"detail": detail}


def test_an_unexpected_error_is_a_json_500_without_internals(caplog):
    request = RequestFactory().get("/api/v1/posts")
    response = api.on_exception(request, RuntimeError("secret internals"))
    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert "detail" in json.loads(response.content)


@pytest.mark.django_db
def test_oversized_body_is_refused_with_400(worker, client_for, settings, draft_body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(worker).post("/posts", {**draft_body, "text": "x" * 2000})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request was refused: it is too large or not well formed."
    }


@pytest.mark.django_db
def test_unreadable_body_is_422_naming_the_fields(worker, client_for):
    response = client_for(worker).post("/posts", {"text": "Hello"})
    assert response.status_code == 422
    body = response.json()
    assert "channel_ids" in body["detail"]
    assert body["errors"]
