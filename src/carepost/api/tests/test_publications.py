"""Publications through the API: list, read, take down."""

from __future__ import annotations

from typing import Any

import pytest

from carepost.audit.models import AuditEvent
from carepost.publishing.models import Publication

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(
    worker,
    reviewer,
    client_for,
    create_post,
    submit_post,
    draft_body,
    immediate_tasks,
    django_capture_on_commit_callbacks,
) -> Publication:
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    body: dict[str, Any] = {
        "decision": "approve",
        "revision_id": post["current_revision"]["id"],
        "expected_version": post["version"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(f"/posts/{post['id']}/decision", body)
    assert response.status_code == 200, response.content
    publication = Publication.objects.get(post_id=post["id"])
    assert publication.state == "published"
    return publication


def test_reviewer_lists_and_reads_publications(published, reviewer, client_for):
    client = client_for(reviewer)
    listing = client.get("/publications").json()
    assert listing["count"] == 1
    assert listing["items"][0]["id"] == published.pk
    assert client.get("/publications", state="queued").json()["count"] == 0

    one = client.get(f"/publications/{published.pk}")
    assert one.status_code == 200
    assert one.json()["state"] == "published"
    assert one.json()["channel"]["kind"] == "website"


def test_worker_cannot_list_all_publications(published, worker, client_for):
    assert client_for(worker).get("/publications").status_code == 403


def test_author_can_read_their_own_posts_publication(published, worker, client_for):
    assert client_for(worker).get(f"/publications/{published.pk}").status_code == 200


def test_another_worker_cannot_read_a_colleagues_publication(published, make_member, client_for):
    colleague = make_member("callum", "worker")
    assert client_for(colleague).get(f"/publications/{published.pk}").status_code == 403


def test_publication_of_another_organisation_is_not_found(published, outsider, client_for):
    client = client_for(outsider)
    assert client.get(f"/publications/{published.pk}").status_code == 404
    response = client.post(
        f"/publications/{published.pk}/take-down", {"reason": "Not ours, but trying."}
    )
    assert response.status_code == 404


def test_reviewer_takes_a_publication_down_with_a_reason(
    published, reviewer, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(
            f"/publications/{published.pk}/take-down",
            {"reason": "Morag's family asked us to remove it."},
        )

    assert response.status_code == 200, response.content
    assert response.json()["take_down_reason"] == "Morag's family asked us to remove it."
    published.refresh_from_db()
    assert published.state == "taken_down"
    assert AuditEvent.objects.filter(
        action="publication.take_down_requested", subject_id=str(published.pk)
    ).exists()


def test_take_down_needs_a_reason(published, reviewer, client_for):
    response = client_for(reviewer).post(f"/publications/{published.pk}/take-down", {"reason": " "})
    assert response.status_code == 400
    published.refresh_from_db()
    assert published.take_down_requested_at is None


def test_taking_down_twice_is_a_wrong_state_409(
    published, reviewer, client_for, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(
                f"/publications/{published.pk}/take-down", {"reason": "First request."}
            ).status_code
            == 200
        )
    response = client.post(f"/publications/{published.pk}/take-down", {"reason": "Second request."})
    assert response.status_code == 409


def test_worker_cannot_take_a_publication_down(published, worker, client_for):
    response = client_for(worker).post(
        f"/publications/{published.pk}/take-down", {"reason": "I changed my mind."}
    )
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.take_down_requested_at is None
