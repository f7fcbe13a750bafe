from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carepost.consent.models import ConsentRecord, Person, Representative

pytestmark = pytest.mark.django_db


def prefixed(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    return {f"{prefix}-{k}": v for k, v in data.items()}


def as_user(client: Client, membership: Any) -> Client:
    client.force_login(membership.user)
    return client


def test_register_is_for_the_consent_officer_not_workers(
    client: Client, carol: Any, alice: Any, person: Any
) -> None:
    assert "Agnes Mary Baird" in as_user(client, carol).get("/consent/").content.decode()
    assert as_user(Client(), alice).get("/consent/").status_code == 403


def test_other_organisations_person_is_not_found(
    client: Client, person: Any, other_org: Any
) -> None:
    from conftest import _member

    officer = _member(other_org, "otto", "consent_officer")
    assert as_user(client, officer).get(f"/consent/people/{person.pk}/").status_code == 404


def test_person_page_shows_why_nothing_may_be_published(
    client: Client, carol: Any, person: Any
) -> None:
    body = as_user(client, carol).get(f"/consent/people/{person.pk}/").content.decode()
    assert "What may be published today" in body and "no current" in body


def test_officer_adds_a_person(client: Client, carol: Any, service: Any) -> None:
    response = as_user(client, carol).post(
        "/consent/people/new/",
        {
            "legal_name": "Donald John Munro",
            "preferred_name": "Donnie",
            "aliases": "Mr Munro, Don",
            "date_of_birth": "1941-06-01",
            "service": service.pk,
            "do_not_name": "on",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(legal_name="Donald John Munro")
    assert person.aliases == ["Mr Munro", "Don"] and person.do_not_name


def test_officer_records_a_representative_with_evidence(
    client: Client, carol: Any, person: Any
) -> None:
    upload = SimpleUploadedFile(
        "poa.pdf", b"%PDF-1.4 power of attorney", content_type="application/pdf"
    )
    response = as_user(client, carol).post(
        f"/consent/people/{person.pk}/representatives/",
        prefixed(
            "rep",
            {
                "name": "Margaret Baird",
                "relationship": "Daughter",
                "authority": "welfare_attorney",
                "covers_publicity": "on",
                "valid_from": "2019-03-01",
                "evidence": upload,
            },
        ),
    )
    assert response.status_code == 302
    rep = Representative.objects.get(person=person)
    assert rep.evidence is not None


def test_half_filled_consent_form_keeps_what_was_typed(
    client: Client, carol: Any, person: Any, website: Any
) -> None:
    response = as_user(client, carol).post(
        f"/consent/people/{person.pk}/consents/",
        prefixed(
            "consent",
            {
                "kind": "consent",
                "given_by": "self",
                "covers": ["photo"],
                "all_public_channels": "on",
                "method": "verbal_witnessed",
                "persons_own_view": "Loves the garden photos",
            },
        ),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "witness" in body and "Loves the garden photos" in body
    assert not ConsentRecord.objects.exists()


def test_officer_records_and_withdraws_a_consent(
    client: Client, carol: Any, person: Any, website: Any
) -> None:
    c = as_user(client, carol)
    c.post(
        f"/consent/people/{person.pk}/consents/",
        prefixed(
            "consent",
            {
                "kind": "consent",
                "given_by": "self",
                "covers": ["photo", "name"],
                "channels": [website.pk],
                "method": "verbal_witnessed",
                "witness": "Sam Ray",
            },
        ),
    )
    record = ConsentRecord.objects.get(person=person)
    assert record.media == ["name", "photo"]
    assert (
        c.post(
            f"/consent/consents/{record.pk}/withdraw/", {"reason": "Changed her mind"}
        ).status_code
        == 302
    )
    assert record.__class__.objects.get(pk=record.pk).withdrawal.reason == "Changed her mind"


def test_printable_forms_are_pdfs(client: Client, carol: Any, person: Any, website: Any) -> None:
    c = as_user(client, carol)
    for easy in ("", "on"):
        response = c.get(
            f"/consent/people/{person.pk}/form.pdf",
            {"pdf-covers": ["photo", "name"], "pdf-channels": [website.pk], "pdf-easy_read": easy},
        )
        assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_subject_access_download_is_a_zip(client: Client, carol: Any, person: Any) -> None:
    response = as_user(client, carol).get(f"/consent/people/{person.pk}/subject-access.zip")
    assert response.status_code == 200 and response.content.startswith(b"PK")


def test_erase_page_asks_for_the_name(client: Client, carol: Any, person: Any) -> None:
    c = as_user(client, carol)
    assert (
        c.post(f"/consent/people/{person.pk}/erase/", {"confirm_name": "nope"}).status_code == 400
    )
    assert (
        c.post(
            f"/consent/people/{person.pk}/erase/", {"confirm_name": "Agnes Mary Baird"}
        ).status_code
        == 302
    )
    person.refresh_from_db()
    assert person.erased_at is not None and person.date_of_birth is None
