"""Open Badges 2.0 documents, public hosted-verification URLs and the baked image."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from carepost.learning import badges
from carepost.learning.tests.helpers import earned_badge

pytestmark = pytest.mark.django_db


@pytest.fixture
def assertion(alice: Any, module: Any, settings: Any) -> Any:
    settings.SITE_URL = "https://carepost.example.org"
    return earned_badge(alice, module)


def test_the_assertion_hashes_the_recipient_email_with_its_salt(assertion: Any) -> None:
    doc = badges.assertion_document(assertion)
    recipient = doc["recipient"]
    assert recipient["hashed"] is True and recipient["type"] == "email"
    expected = hashlib.sha256(("alice@example.org" + recipient["salt"]).encode()).hexdigest()
    assert recipient["identity"] == "sha256$" + expected
    assert "alice" not in json.dumps(doc)


def test_the_assertion_links_to_stable_public_urls(assertion: Any) -> None:
    doc = badges.assertion_document(assertion)
    assert doc["@context"] == "https://w3id.org/openbadges/v2"
    assert doc["id"] == f"https://carepost.example.org/learning/badges/assertions/{assertion.uid}/"
    assert doc["badge"].endswith(f"/learning/badges/classes/{assertion.badge_class.uid}/")
    assert doc["verification"] == {"type": "HostedBadge"}


def test_evidence_is_linked_only_when_the_worker_chose_to_share_it(
    assertion: Any, bob: Any, modules: list[Any]
) -> None:
    assert "evidence" in badges.assertion_document(assertion)
    private = earned_badge(bob, modules[1], share_evidence=False)
    assert "evidence" not in badges.assertion_document(private)
    c = Client()
    assert c.get(f"/learning/badges/assertions/{assertion.uid}/evidence/").status_code == 200
    assert c.get(f"/learning/badges/assertions/{private.uid}/evidence/").status_code == 404


def test_the_badge_class_aligns_to_the_codes_and_names_nobody(assertion: Any) -> None:
    issuer = assertion.badge_class.module.organisation.badge_issuer
    doc = badges.badge_class_document(assertion.badge_class, issuer)
    assert {a["targetCode"] for a in doc["alignment"]} == {"5.8", "2.8", "2.3"}
    assert doc["criteria"]["narrative"].startswith("Work through the module")


def test_the_public_urls_serve_json_ld_without_a_login(assertion: Any) -> None:
    c = Client()
    for url in (
        f"/learning/badges/assertions/{assertion.uid}/",
        f"/learning/badges/classes/{assertion.badge_class.uid}/",
        f"/learning/badges/issuers/{assertion.organisation.badge_issuer.uid}/",
    ):
        response = c.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/ld+json"
        assert response.json()["id"] == "https://carepost.example.org" + url
    image = c.get(f"/learning/badges/classes/{assertion.badge_class.uid}/image.png")
    assert image["Content-Type"] == "image/png"


def test_an_unknown_badge_is_not_found() -> None:
    c = Client()
    assert (
        c.get("/learning/badges/assertions/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )


def test_a_revoked_assertion_says_so(assertion: Any) -> None:
    from django.utils import timezone

    from carepost.learning.models import BadgeAssertion

    BadgeAssertion.objects.filter(pk=assertion.pk).update(
        revoked_at=timezone.now(), revocation_reason="Issued in error."
    )
    response = Client().get(f"/learning/badges/assertions/{assertion.uid}/")
    assert response.status_code == 410
    assert response.json()["revoked"] is True


def test_the_baked_png_carries_the_assertion(assertion: Any) -> None:
    png = badges.baked_png(assertion)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
    assert badges.unbaked(png) == badges.assertion_document(assertion)
    assert badges.unbaked(bytes(assertion.badge_class.image_png)) is None


def test_the_earner_downloads_the_baked_badge_and_nobody_else_can(
    alice: Any, bob: Any, olga: Any, assertion: Any
) -> None:
    c = Client()
    c.force_login(alice.user)
    response = c.get(f"/learning/my-badges/{assertion.uid}/badge.png")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert badges.unbaked(response.content)["id"] == badges.assertion_url(assertion)
    c.force_login(bob.user)
    assert c.get(f"/learning/my-badges/{assertion.uid}/badge.png").status_code == 403
    c.force_login(olga.user)
    assert c.get(f"/learning/my-badges/{assertion.uid}/badge.png").status_code == 404
