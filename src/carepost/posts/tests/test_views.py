"""The desk's pages through Django's test client: access, forms and error pages."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carepost.posts.models import Post
from carepost.posts.tests.helpers import approved, draft, jpeg_with_gps, photo, submitted

pytestmark = pytest.mark.django_db


def login(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def test_pages_need_a_login(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_login_page_renders(client: Client, db: None) -> None:
    assert client.get("/accounts/login/").status_code == 200


def test_worker_sees_their_desk(client: Client, alice: Any, website: Any) -> None:
    draft(alice, website, text="Knitting group news")
    response = login(client, alice).get("/")
    assert response.status_code == 200 and "Knitting group news" in response.content.decode()


def test_line_manager_without_desk_role_is_told_so(client: Client, org: Any) -> None:
    from conftest import _member

    response = login(client, _member(org, "mona", "line_manager")).get("/")
    assert "does not include the publishing desk" in response.content.decode()


def test_worker_creates_a_post_with_a_photo(client: Client, alice: Any, website: Any) -> None:
    upload = SimpleUploadedFile("peas.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = login(client, alice).post(
        "/posts/new/",
        {
            "text": "Sweet peas are up.",
            "channels": [website.pk],
            "photo_0": upload,
            "photo_0_alt": "Sweet peas",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert post.current_revision.photos.get().alt_text == "Sweet peas"


def test_missing_alt_text_keeps_the_text_and_explains(
    client: Client, alice: Any, website: Any
) -> None:
    upload = SimpleUploadedFile("peas.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = login(client, alice).post(
        "/posts/new/", {"text": "Keep these words.", "channels": [website.pk], "photo_0": upload}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Keep these words." in body and "Describe this photo" in body
    assert not Post.objects.exists()


def test_a_file_that_is_not_a_photo_gets_a_clear_message(
    client: Client, alice: Any, website: Any
) -> None:
    upload = SimpleUploadedFile("notes.jpg", b"%PDF-1.4 not a photo", content_type="image/jpeg")
    response = login(client, alice).post(
        "/posts/new/",
        {"text": "Words.", "channels": [website.pk], "photo_0": upload, "photo_0_alt": "A photo"},
    )
    assert response.status_code == 400
    assert "not a photo we can read (it looks like a PDF document)" in response.content.decode()


def test_another_workers_post_is_forbidden(
    client: Client, alice: Any, bob: Any, website: Any
) -> None:
    post = draft(alice, website)
    assert login(client, bob).get(f"/posts/{post.pk}/").status_code == 403


def test_another_organisations_post_is_not_found(
    client: Client, alice: Any, olga: Any, website: Any
) -> None:
    post = draft(alice, website)
    assert login(client, olga).get(f"/posts/{post.pk}/").status_code == 404
    assert (
        client.post(f"/review/posts/{post.pk}/decide/", {"decision": "approve"}).status_code == 404
    )


def test_reviewer_sees_the_post_page_with_decision_buttons(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    post = submitted(alice, website)
    body = login(client, rita).get(f"/posts/{post.pk}/").content.decode()
    assert "Approve and publish" in body


def test_reviewer_approves_through_the_page(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    post = submitted(alice, website)
    response = login(client, rita).post(
        f"/review/posts/{post.pk}/decide/",
        {"decision": "approve", "revision": post.current_revision_id, "version": post.version},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == "approved"


def test_stale_decision_shows_the_conflict_page(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    post = submitted(alice, website)
    response = login(client, rita).post(
        f"/review/posts/{post.pk}/decide/",
        {"decision": "approve", "revision": post.current_revision_id, "version": post.version + 5},
    )
    assert response.status_code == 409
    assert "Reload the page" in response.content.decode()


def test_worker_cannot_open_the_review_queue(client: Client, alice: Any) -> None:
    assert login(client, alice).get("/review/").status_code == 403


def test_edit_page_saves_a_new_version(client: Client, alice: Any, website: Any) -> None:
    post = draft(alice, website, text="Old words", photos=[photo()])
    rp = post.current_revision.photos.get()
    response = login(client, alice).post(
        f"/posts/{post.pk}/edit/",
        {
            "text": "New words",
            "channels": [website.pk],
            "version": post.version,
            f"keep_{rp.pk}": "on",
            f"alt_{rp.pk}": "Better description",
        },
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.current_revision.number == 2
    assert post.current_revision.photos.get().alt_text == "Better description"


def test_photo_preview_is_only_for_staff_who_may_see_the_post(
    client: Client, alice: Any, bob: Any, olga: Any, website: Any
) -> None:
    post = draft(alice, website, photos=[photo()])
    photo_id = post.current_revision.photos.get().photo_id
    assert login(client, alice).get(f"/photos/{photo_id}/clean/").status_code == 200
    assert login(Client(), bob).get(f"/photos/{photo_id}/clean/").status_code == 403
    assert login(Client(), olga).get(f"/photos/{photo_id}/clean/").status_code == 404


def test_reviewer_takes_down_through_the_page(
    client: Client, alice: Any, rita: Any, website: Any
) -> None:
    from carepost.publishing.models import Publication
    from carepost.publishing.services import publication_send

    post = approved(alice, rita, website)
    pub = Publication.objects.get(post=post)
    publication_send(publication_id=pub.pk)
    response = login(client, rita).post(
        f"/publications/{pub.pk}/take-down/", {"reason": "Consent withdrawn"}
    )
    assert response.status_code == 302
    pub.refresh_from_db()
    assert pub.take_down_requested_at is not None


def test_api_tokens_page_shows_a_new_secret_once(client: Client, alice: Any) -> None:
    import re

    body = (
        login(client, alice).post("/accounts/api-tokens/", {"name": "Scheduler"}).content.decode()
    )
    assert "Copy it now" in body
    secret = re.search(r'<code class="secret">(cp_[^<]+)</code>', body)
    assert secret is not None
    assert secret.group(1) not in client.get("/accounts/api-tokens/").content.decode()
