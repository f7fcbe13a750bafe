"""The OpenAPI description: served, valid JSON, complete."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from carepost.api.tests.conftest import API

EXPECTED = {
    "/api/v1/me": {"get"},
    "/api/v1/channels": {"get"},
    "/api/v1/services": {"get"},
    "/api/v1/people": {"get"},
    "/api/v1/posts": {"get", "post"},
    "/api/v1/posts/{post_id}": {"get", "patch"},
    "/api/v1/posts/{post_id}/photos": {"post"},
    "/api/v1/posts/{post_id}/submit": {"post"},
    "/api/v1/posts/{post_id}/withdraw": {"post"},
    "/api/v1/posts/{post_id}/archive": {"post"},
    "/api/v1/posts/{post_id}/decision": {"post"},
    "/api/v1/review/queue": {"get"},
    "/api/v1/findings/{finding_id}/acknowledge": {"post"},
    "/api/v1/publications": {"get"},
    "/api/v1/publications/{publication_id}": {"get"},
    "/api/v1/publications/{publication_id}/take-down": {"post"},
}


@pytest.fixture
def document() -> dict:
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_openapi_document_is_valid_json_with_the_expected_paths(document):
    assert document["openapi"].startswith("3.")
    assert document["info"] == {**document["info"], "title": "Carepost API", "version": "1"}
    paths = {path: set(ops) for path, ops in document["paths"].items()}
    assert paths == EXPECTED


def test_every_operation_has_a_summary_tags_an_error_shape_and_needs_the_token(document):
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), where
            assert op.get("tags"), where
            assert op.get("security") == [{"ApiTokenAuth": []}], where
            assert {"401", "403", "404", "409"} <= set(op["responses"]), where


def test_openapi_declares_bearer_token_security(document):
    assert document["components"]["securitySchemes"]["ApiTokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_operation_ids_are_unique_and_short(document):
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert all("." not in i and not i.startswith("carepost") for i in ids)


def test_interactive_docs_page_is_served():
    response = Client().get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
