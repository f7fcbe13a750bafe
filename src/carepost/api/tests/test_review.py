"""Review through the API: the queue, four eyes, exact revisions, version checks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from carepost.audit.models import AuditEvent
from carepost.posts.models import Post, ScreeningFinding
from carepost.publishing.models import Publication

pytestmark = pytest.mark.django_db


def _decide(client, post, decision="approve", comment="", **overrides):
    body = {
        "decision": decision,
        "revision_id": post["current_revision"]["id"],
        "expected_version": post["version"],
        "comment": comment,
        **overrides,
    }
    return client.post(f"/posts/{post['id']}/decision", body)


def test_draft_submit_and_approval_by_another_reviewer_publishes_on_the_website(
    worker,
    reviewer,
    client_for,
    create_post,
    submit_post,
    draft_body,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    worker_client, reviewer_client = client_for(worker), client_for(reviewer)
    post = create_post(worker_client, draft_body)
    assert post["blockers"] == [], post["findings"]
    post = submit_post(worker_client, post)

    queue = reviewer_client.get("/review/queue").json()
    assert [item["id"] for item in queue["items"]] == [post["id"]]
    seen = reviewer_client.get(f"/posts/{post['id']}").json()
    assert {"approve", "request_changes", "reject"} <= set(seen["allowed_actions"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _decide(reviewer_client, seen, comment="Lovely.")

    assert response.status_code == 200, response.content
    assert callbacks, "publishing is enqueued only after commit"
    approved = response.json()
    assert approved["approved_revision_id"] == seen["current_revision"]["id"]
    assert [r["outcome"] for r in approved["reviews"]] == ["approved"]

    publication = Publication.objects.get(post_id=post["id"])
    assert publication.state == "published"
    assert publication.revision_id == seen["current_revision"]["id"]
    assert Post.objects.get(pk=post["id"]).status == "published"
    assert AuditEvent.objects.filter(action="post.approved", subject_id=str(post["id"])).exists()

    final = worker_client.get(f"/posts/{post['id']}").json()
    assert final["status"] == "published"
    assert [(p["state"], p["channel"]["kind"]) for p in final["publications"]] == [
        ("published", "website")
    ]
    assert final["publications"][0]["url"].endswith(f"/news/glenbrae/{publication.pk}/")


def test_author_cannot_approve_own_post_via_api(
    reviewer_author, client_for, create_post, submit_post, draft_body
):
    client = client_for(reviewer_author)
    post = submit_post(client, create_post(client, draft_body))
    assert "approve" not in post["allowed_actions"]

    response = _decide(client, post)

    assert response.status_code == 403
    assert response.json() == {"detail": "You wrote this post, so someone else must review it."}
    assert Post.objects.get(pk=post["id"]).status == "in_review"
    assert not Publication.objects.exists()


def test_reviewers_own_post_is_not_in_their_queue(
    reviewer_author, client_for, create_post, submit_post, draft_body
):
    client = client_for(reviewer_author)
    submit_post(client, create_post(client, draft_body))
    assert client.get("/review/queue").json() == {"count": 0, "items": []}


def test_worker_using_the_review_queue_is_forbidden(worker, client_for):
    response = client_for(worker).get("/review/queue")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only reviewers have a review queue."}


def test_worker_cannot_decide_on_a_post(
    make_member, worker, client_for, create_post, submit_post, draft_body
):
    colleague = make_member("callum", "worker")
    colleague_client = client_for(colleague)
    post = submit_post(colleague_client, create_post(colleague_client, draft_body))
    # A plain worker cannot even see a colleague's post, let alone decide on it.
    assert _decide(client_for(worker), post).status_code == 403


def test_reviewer_of_another_organisation_gets_404(
    outsider, worker, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    assert _decide(client_for(outsider), post).status_code == 404
    assert Post.objects.get(pk=post["id"]).status == "in_review"


def test_second_of_two_reviewers_deciding_at_once_gets_409(
    make_member, worker, reviewer, client_for, create_post, submit_post, draft_body
):
    other_reviewer = make_member("rachel", "reviewer")
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    read_by_both = client_for(reviewer).get(f"/posts/{post['id']}").json()

    first = _decide(
        client_for(reviewer), read_by_both, decision="request_changes", comment="Add a photo?"
    )
    second = _decide(client_for(other_reviewer), read_by_both, decision="reject", comment="No.")

    assert first.status_code == 200
    assert second.status_code == 409
    assert Post.objects.get(pk=post["id"]).status == "changes_requested"


def test_approving_a_revision_that_is_no_longer_current_gets_409(
    worker, reviewer, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    old_revision = post["current_revision"]["id"]
    edited = worker_client.patch(
        f"/posts/{post['id']}",
        {"expected_version": post["version"], "text": "Changed after submitting."},
    ).json()
    assert edited["status"] == "in_review"

    response = _decide(client_for(reviewer), edited, revision_id=old_revision)

    assert response.status_code == 409
    assert not Publication.objects.exists()


def test_request_changes_without_a_comment_is_refused_with_400(
    worker, reviewer, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    response = _decide(client_for(reviewer), post, decision="request_changes", comment="  ")
    assert response.status_code == 400
    assert "what needs to change" in response.json()["detail"]


def test_rejection_is_recorded_with_its_reason(
    worker, reviewer, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    response = _decide(
        client_for(reviewer), post, decision="reject", comment="Not for the website."
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected"
    assert body["reviews"][0]["comment"] == "Not for the website."
    assert body["reviews"][0]["decided_by"]["id"] == reviewer.user_id


def _add_review_finding(post: dict) -> ScreeningFinding:
    """A 'needs a reason' finding on the current revision, whatever the engine found."""
    return ScreeningFinding.objects.create(
        revision_id=post["current_revision"]["id"],
        check_name="test",
        code="test_needs_reason",
        action="review",
        start=0,
        end=3,
        text="Our",
        message="This needs a second look.",
    )


def test_approval_waits_until_a_finding_is_accepted_with_a_reason(
    worker,
    reviewer,
    client_for,
    create_post,
    submit_post,
    draft_body,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    worker_client, reviewer_client = client_for(worker), client_for(reviewer)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    finding = _add_review_finding(post)
    post = reviewer_client.get(f"/posts/{post['id']}").json()
    assert [b["code"] for b in post["blockers"]] == ["finding_test_needs_reason"]

    refused = _decide(reviewer_client, post)
    assert refused.status_code == 400
    assert "cannot be approved yet" in refused.json()["detail"]

    too_short = reviewer_client.post(f"/findings/{finding.pk}/acknowledge", {"reason": "ok"})
    assert too_short.status_code == 400
    accepted = reviewer_client.post(
        f"/findings/{finding.pk}/acknowledge", {"reason": "Checked with the manager, it is fine."}
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["acknowledged"] is True
    assert accepted.json()["acknowledged_by"]["id"] == reviewer.user_id
    again = reviewer_client.post(
        f"/findings/{finding.pk}/acknowledge", {"reason": "Checked again, still fine."}
    )
    assert again.status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        approved = _decide(reviewer_client, reviewer_client.get(f"/posts/{post['id']}").json())
    assert approved.status_code == 200, approved.content


def test_author_cannot_accept_a_finding_on_their_own_post(
    reviewer_author, client_for, create_post, submit_post, draft_body
):
    client = client_for(reviewer_author)
    post = submit_post(client, create_post(client, draft_body))
    finding = _add_review_finding(post)
    response = client.post(
        f"/findings/{finding.pk}/acknowledge", {"reason": "It is fine, I wrote it."}
    )
    assert response.status_code == 403
    finding.refresh_from_db()
    assert finding.acknowledged_at is None


def test_finding_of_another_organisation_is_not_found(
    worker, outsider, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    post = submit_post(worker_client, create_post(worker_client, draft_body))
    finding = _add_review_finding(post)
    response = client_for(outsider).post(
        f"/findings/{finding.pk}/acknowledge", {"reason": "Looks fine to me."}
    )
    assert response.status_code == 404


def test_approving_a_scheduled_post_queues_its_publication_until_then(
    worker,
    reviewer,
    client_for,
    create_post,
    submit_post,
    draft_body,
    immediate_tasks,
    django_capture_on_commit_callbacks,
):
    when = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    worker_client = client_for(worker)
    post = create_post(worker_client, {**draft_body, "publish_at": when.isoformat()})
    post = submit_post(worker_client, post)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client_for(reviewer), post)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    [publication] = body["publications"]
    assert publication["state"] == "queued"
    assert datetime.fromisoformat(publication["scheduled_at"]) == when
