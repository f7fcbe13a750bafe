"""Drafts and posts through the API: the same services, the same rules as the desk."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from carepost.audit.models import AuditEvent
from carepost.posts.models import Post, PostRevision

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="PNG")
    return SimpleUploadedFile("sunflowers.png", out.getvalue(), content_type="image/png")


def test_worker_creates_a_draft_that_is_screened_at_once(
    worker, client_for, create_post, draft_body
):
    post = create_post(client_for(worker), draft_body)

    assert post["status"] == "draft"
    assert post["version"] == 1
    assert post["author"]["id"] == worker.user_id
    assert post["current_revision"]["number"] == 1
    assert post["current_revision"]["text"] == draft_body["text"]
    assert [c["id"] for c in post["current_revision"]["channels"]] == draft_body["channel_ids"]
    assert post["current_revision"]["screened_at"] is not None
    assert isinstance(post["findings"], list)
    assert isinstance(post["blockers"], list)
    assert set(post["allowed_actions"]) == {"edit", "submit", "archive"}
    assert AuditEvent.objects.filter(action="post.created", subject_id=str(post["id"])).exists()


def test_draft_can_tag_people_supported(worker, client_for, create_post, draft_body, person):
    post = create_post(client_for(worker), {**draft_body, "person_ids": [person.pk]})
    assert post["current_revision"]["people"] == [{"id": person.pk, "display_name": "Morag"}]


def test_draft_naming_another_organisations_channel_is_refused(
    worker, client_for, draft_body, other_organisation
):
    other_channel = other_organisation.channels.get()
    response = client_for(worker).post("/posts", {**draft_body, "channel_ids": [other_channel.pk]})
    assert response.status_code == 400
    assert "channel" in response.json()["detail"]
    assert not Post.objects.exists()


def test_member_without_a_desk_role_cannot_create_a_draft(make_member, client_for, draft_body):
    consent_officer = make_member("connie", "consent_officer")
    response = client_for(consent_officer).post("/posts", draft_body)
    assert response.status_code == 403
    assert not Post.objects.exists()


def test_too_long_text_is_refused_with_the_services_message(worker, client_for, draft_body):
    response = client_for(worker).post("/posts", {**draft_body, "text": "x" * 5001})
    assert response.status_code == 400
    assert "5000 characters" in response.json()["detail"]


def test_worker_lists_only_their_own_posts(
    make_member, worker, client_for, create_post, draft_body
):
    colleague = make_member("callum", "worker")
    mine = create_post(client_for(worker), draft_body)
    create_post(client_for(colleague), draft_body)

    response = client_for(worker).get("/posts")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["items"]] == [mine["id"]]
    assert response.json()["count"] == 1


def test_reviewer_lists_the_organisations_posts_filtered_by_status(
    worker, reviewer, client_for, create_post, submit_post, draft_body
):
    worker_client = client_for(worker)
    submitted = submit_post(worker_client, create_post(worker_client, draft_body))
    create_post(worker_client, draft_body)

    reviewer_client = client_for(reviewer)
    assert reviewer_client.get("/posts").json()["count"] == 2
    in_review = reviewer_client.get("/posts", status="in_review").json()
    assert [p["id"] for p in in_review["items"]] == [submitted["id"]]


def test_another_organisations_post_is_not_found(
    worker, outsider, client_for, create_post, draft_body
):
    post = create_post(client_for(worker), draft_body)
    client = client_for(outsider)

    assert client.get(f"/posts/{post['id']}").status_code == 404
    response = client.post(f"/posts/{post['id']}/submit", {"expected_version": post["version"]})
    assert response.status_code == 404
    assert response.json() == {"detail": "No such post."}


def test_worker_cannot_read_a_colleagues_post(
    make_member, worker, client_for, create_post, draft_body
):
    colleague = make_member("callum", "worker")
    post = create_post(client_for(colleague), draft_body)
    response = client_for(worker).get(f"/posts/{post['id']}")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_edit_saves_a_new_revision_and_keeps_what_was_not_sent(
    worker, client_for, create_post, draft_body
):
    client = client_for(worker)
    post = create_post(client, draft_body)

    response = client.patch(
        f"/posts/{post['id']}",
        {"expected_version": post["version"], "text": "Sunflowers, part two."},
    )

    assert response.status_code == 200, response.content
    edited = response.json()
    assert edited["version"] == post["version"] + 1
    assert edited["current_revision"]["number"] == 2
    assert edited["current_revision"]["text"] == "Sunflowers, part two."
    assert edited["current_revision"]["channels"] == post["current_revision"]["channels"]
    assert edited["service_id"] == draft_body["service_id"]
    assert [r["number"] for r in edited["revisions"]] == [2, 1]
    assert PostRevision.objects.get(pk=post["current_revision"]["id"]).text == draft_body["text"]


def test_edit_with_a_stale_version_is_refused_with_409(worker, client_for, create_post, draft_body):
    client = client_for(worker)
    post = create_post(client, draft_body)
    stale = post["version"]
    assert (
        client.patch(
            f"/posts/{post['id']}", {"expected_version": stale, "text": "First"}
        ).status_code
        == 200
    )

    response = client.patch(f"/posts/{post['id']}", {"expected_version": stale, "text": "Second"})

    assert response.status_code == 409
    assert "Someone else changed this post" in response.json()["detail"]
    revision = Post.objects.get(pk=post["id"]).current_revision
    assert revision is not None
    assert revision.text == "First"


def test_submit_with_a_stale_version_is_refused_with_409(
    worker, client_for, create_post, draft_body
):
    client = client_for(worker)
    post = create_post(client, draft_body)
    response = client.post(f"/posts/{post['id']}/submit", {"expected_version": post["version"] - 1})
    assert response.status_code == 409
    assert Post.objects.get(pk=post["id"]).status == "draft"


def test_photo_upload_saves_a_new_revision_with_its_alt_text(
    worker, client_for, create_post, draft_body
):
    client = client_for(worker)
    post = create_post(client, draft_body)

    response = client.post_multipart(
        f"/posts/{post['id']}/photos",
        {
            "photo": _png(),
            "alt_text": "Sunflowers against a blue sky",
            "expected_version": post["version"],
        },
    )

    assert response.status_code == 201, response.content
    revision = response.json()["current_revision"]
    assert revision["number"] == 2
    assert [(p["alt_text"], p["width"], p["height"]) for p in revision["photos"]] == [
        ("Sunflowers against a blue sky", 40, 30)
    ]


def test_photo_without_alt_text_is_refused(worker, client_for, create_post, draft_body):
    client = client_for(worker)
    post = create_post(client, draft_body)
    response = client.post_multipart(
        f"/posts/{post['id']}/photos",
        {"photo": _png(), "alt_text": "  ", "expected_version": post["version"]},
    )
    assert response.status_code == 400
    assert "alt text" in response.json()["detail"]
    assert Post.objects.get(pk=post["id"]).version == post["version"]


def test_a_file_that_is_not_a_photo_is_refused(worker, client_for, create_post, draft_body):
    client = client_for(worker)
    post = create_post(client, draft_body)
    fake = SimpleUploadedFile("notes.png", b"not an image at all", content_type="image/png")
    response = client.post_multipart(
        f"/posts/{post['id']}/photos",
        {"photo": fake, "alt_text": "Notes", "expected_version": post["version"]},
    )
    assert response.status_code == 400


def test_edit_can_drop_a_photo_and_change_alt_text(worker, client_for, create_post, draft_body):
    client = client_for(worker)
    post = create_post(client, draft_body)
    for alt in ("First photo", "Second photo"):
        post = client.post_multipart(
            f"/posts/{post['id']}/photos",
            {"photo": _png(), "alt_text": alt, "expected_version": post["version"]},
        ).json()
    second = post["current_revision"]["photos"][1]["photo_id"]

    response = client.patch(
        f"/posts/{post['id']}",
        {
            "expected_version": post["version"],
            "photos": [{"photo_id": second, "alt_text": "Only photo"}],
        },
    )

    assert response.status_code == 200, response.content
    photos = response.json()["current_revision"]["photos"]
    assert [(p["photo_id"], p["alt_text"]) for p in photos] == [(second, "Only photo")]


def test_edit_cannot_attach_a_photo_that_is_not_on_the_post(
    worker, client_for, create_post, draft_body
):
    client = client_for(worker)
    post = create_post(client, draft_body)
    response = client.patch(
        f"/posts/{post['id']}",
        {
            "expected_version": post["version"],
            "photos": [{"photo_id": 999999, "alt_text": "Someone else's"}],
        },
    )
    assert response.status_code == 400


def test_author_withdraws_a_post_from_review(
    worker, client_for, create_post, submit_post, draft_body
):
    client = client_for(worker)
    submitted = submit_post(client, create_post(client, draft_body))
    assert submitted["status"] == "in_review"
    assert "withdraw" in submitted["allowed_actions"]

    response = client.post(
        f"/posts/{submitted['id']}/withdraw", {"expected_version": submitted["version"]}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert AuditEvent.objects.filter(
        action="post.withdrawn", subject_id=str(submitted["id"])
    ).exists()


def test_withdrawing_a_draft_is_a_wrong_state_409(worker, client_for, create_post, draft_body):
    client = client_for(worker)
    post = create_post(client, draft_body)
    response = client.post(f"/posts/{post['id']}/withdraw", {"expected_version": post["version"]})
    assert response.status_code == 409


def test_publishing_time_in_the_past_is_refused(worker, client_for, draft_body):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    response = client_for(worker).post("/posts", {**draft_body, "publish_at": past})
    assert response.status_code == 400
    assert "in the past" in response.json()["detail"]


def test_publishing_time_without_an_offset_is_read_as_uk_time(
    worker, client_for, create_post, draft_body
):
    post = create_post(client_for(worker), {**draft_body, "publish_at": "2099-07-01T09:30:00"})
    stored = datetime.fromisoformat(post["current_revision"]["publish_at"])
    assert stored == datetime(2099, 7, 1, 8, 30, tzinfo=UTC)  # 09:30 British Summer Time


def test_unknown_status_filter_is_422_naming_the_parameter(worker, client_for):
    response = client_for(worker).get("/posts", status="lost")
    assert response.status_code == 422
    assert response.json()["detail"] == "The request could not be read. Check these fields: status."
