import io
import json
import zipfile
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from carepost.audit.models import AuditEvent
from carepost.audit.selectors import audit_chain_verify
from carepost.common.dates import add_months
from carepost.common.errors import ConflictError, PermissionDenied, ValidationFailed
from carepost.consent import services
from carepost.consent.models import ConsentRecord, EvidenceFile
from carepost.consent.selectors import consent_status, consents_due_for_review
from carepost.consent.subject_access import person_erase, subject_access_export
from carepost.consent.takedown import consent_expiry_sweep
from carepost.posts.tests.helpers import approved, photo
from carepost.publishing.models import Publication, PublicationState
from carepost.publishing.services import publication_send
from carepost.review.models import Review

pytestmark = pytest.mark.django_db


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, f"no audit event {action}"
    return event


def live(alice: Any, rita: Any, website: Any, person: Any, **kw: Any) -> Publication:
    post = approved(alice, rita, website, text="Happy birthday Nessie!", people=[person], **kw)
    pub = Publication.objects.get(post=post)
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    return pub


def test_consent_officer_records_consent_with_an_audit_event(
    carol: Any, person: Any, website: Any
) -> None:
    record = services.consent_record(
        membership=carol,
        person=person,
        media=["photo"],
        channels=[website],
        method="verbal_witnessed",
        witness="Sam",
    )
    assert record.valid_until == add_months(record.valid_from, 12)
    assert last_event("consent.consent_recorded").data["record"] == record.pk
    assert consent_status(person=person, media="photo", channel=website).allowed


def test_worker_cannot_record_consent(alice: Any, person: Any, website: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.consent_record(
            membership=alice,
            person=person,
            media=["photo"],
            channels=[website],
            method="verbal_witnessed",
            witness="x",
        )


def test_other_organisation_cannot_record_consent(olga: Any, person: Any, other_org: Any) -> None:
    from conftest import _member

    officer = _member(other_org, "otto", "consent_officer")
    with pytest.raises(PermissionDenied):
        services.consent_record(
            membership=officer,
            person=person,
            media=["photo"],
            all_public_channels=True,
            method="verbal_witnessed",
            witness="x",
        )


def test_verbal_consent_needs_a_witness(carol: Any, person: Any) -> None:
    with pytest.raises(ValidationFailed, match="witness"):
        services.consent_record(
            membership=carol,
            person=person,
            media=["photo"],
            all_public_channels=True,
            method="verbal_witnessed",
        )


def test_signed_form_needs_the_upload(carol: Any, person: Any) -> None:
    with pytest.raises(ValidationFailed, match="Upload"):
        services.consent_record(
            membership=carol,
            person=person,
            media=["photo"],
            all_public_channels=True,
            method="signed_form",
        )


def test_next_of_kin_cannot_be_recorded_as_consenting(carol: Any, person: Any) -> None:
    kin = services.representative_record(
        membership=carol,
        person=person,
        name="Jean",
        relationship="Niece",
        authority="consulted_only",
        covers_publicity=True,
        valid_from=date(2020, 1, 1),
    )
    assert kin.covers_publicity is False
    with pytest.raises(ValidationFailed, match="cannot consent"):
        services.consent_record(
            membership=carol,
            person=person,
            representative=kin,
            media=["photo"],
            all_public_channels=True,
            method="verbal_witnessed",
            witness="Sam",
        )


def test_welfare_attorney_needs_evidence(carol: Any, person: Any) -> None:
    with pytest.raises(ValidationFailed, match="evidence"):
        services.representative_record(
            membership=carol,
            person=person,
            name="Margaret",
            relationship="Daughter",
            authority="welfare_attorney",
            covers_publicity=True,
            valid_from=date(2020, 1, 1),
        )


def test_england_wales_authority_is_refused_in_scotland(carol: Any, person: Any) -> None:
    with pytest.raises(ValidationFailed, match="does not exist in Scotland"):
        services.representative_record(
            membership=carol,
            person=person,
            name="M",
            relationship="Daughter",
            authority="deputy",
            covers_publicity=True,
            valid_from=date(2020, 1, 1),
            evidence_reference="COP 1",
        )


def test_evidence_is_encrypted_at_rest_and_only_officers_can_open_it(
    client: Any, carol: Any, alice: Any, person: Any
) -> None:
    pdf = b"%PDF-1.4 signed consent form for Nessie"
    record = services.consent_record(
        membership=carol,
        person=person,
        media=["photo"],
        all_public_channels=True,
        method="signed_form",
        evidence=(pdf, "form.pdf", "application/pdf"),
    )
    stored = EvidenceFile.objects.get(pk=record.evidence_id)
    assert pdf not in bytes(stored.ciphertext) and b"Nessie" not in bytes(stored.ciphertext)
    client.force_login(carol.user)
    assert client.get(f"/consent/evidence/{stored.pk}/").content == pdf
    client.force_login(alice.user)
    assert client.get(f"/consent/evidence/{stored.pk}/").status_code == 403


def test_capacity_decision_needs_a_named_assessor(carol: Any, person: Any) -> None:
    with pytest.raises(ValidationFailed, match="assessor"):
        services.capacity_decision_record(
            membership=carol,
            person=person,
            outcome="lacks_capacity",
            assessed_on=date(2026, 1, 1),
            assessed_by=" ",
        )


def test_capacity_decision_is_audited(carol: Any, person: Any) -> None:
    services.capacity_decision_record(
        membership=carol,
        person=person,
        outcome="lacks_capacity",
        assessed_on=date(2026, 1, 1),
        assessed_by="Dr K, GP",
    )
    assert last_event("capacity.recorded").data["outcome"] == "lacks_capacity"


def test_withdrawing_twice_is_a_conflict(carol: Any, consented: Any) -> None:
    record = ConsentRecord.objects.get(person=consented)
    services.consent_withdraw(membership=carol, record=record)
    with pytest.raises(ConflictError):
        services.consent_withdraw(membership=carol, record=record)


def test_approval_is_refused_without_consent_and_says_why(
    alice: Any, rita: Any, website: Any, person: Any
) -> None:
    with pytest.raises(ValidationFailed, match="no current"):
        approved(alice, rita, website, text="Happy birthday Nessie!", people=[person])


def test_approval_stores_the_consent_records_it_relied_on(
    alice: Any, rita: Any, website: Any, consented: Any
) -> None:
    post = approved(alice, rita, website, text="Happy birthday Nessie!", people=[consented])
    relied = Review.objects.get(post=post).relied_on["consent"]
    record = ConsentRecord.objects.get(person=consented)
    assert {
        "person": consented.pk,
        "channel": website.pk,
        "media": "name",
        "records": [record.pk],
    } in relied


def test_withdrawal_takes_the_publication_down_with_an_outcome(
    alice: Any,
    rita: Any,
    carol: Any,
    website: Any,
    consented: Any,
    django_capture_on_commit_callbacks: Any,
    mailoutbox: Any,
) -> None:
    pub = live(alice, rita, website, consented)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_withdraw(
            membership=carol, record=ConsentRecord.objects.get(person=consented)
        )
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN
    assert pub.take_down_outcome and "withdrawn" in pub.take_down_reason
    assert any("taken down" in m.subject for m in mailoutbox)


def test_setting_do_not_publish_takes_publications_down(
    alice: Any,
    rita: Any,
    carol: Any,
    website: Any,
    consented: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pub = live(alice, rita, website, consented)
    with django_capture_on_commit_callbacks(execute=True):
        services.person_update(
            membership=carol,
            person=consented,
            legal_name=consented.legal_name,
            preferred_name="Nessie",
            aliases=[],
            date_of_birth=consented.date_of_birth,
            service=consented.service,
            flags={"do_not_publish": True},
        )
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN


def test_withdrawing_photo_consent_leaves_a_text_only_post_up(
    alice: Any,
    rita: Any,
    carol: Any,
    website: Any,
    person: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    services.consent_record(
        membership=carol,
        person=person,
        media=["name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
    )
    photo_consent = services.consent_record(
        membership=carol,
        person=person,
        media=["photo"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
    )
    pub = live(alice, rita, website, person)
    with django_capture_on_commit_callbacks(execute=True):
        services.consent_withdraw(membership=carol, record=photo_consent)
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED


def test_expiry_sweep_takes_down_what_consent_no_longer_covers(
    alice: Any, rita: Any, carol: Any, website: Any, person: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.consent_record(
        membership=carol,
        person=person,
        media=["name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
        valid_until=date.today() + timedelta(days=2),
    )
    pub = live(alice, rita, website, person)
    assert consent_expiry_sweep() == 0
    later = timezone.now() + timedelta(days=3)
    monkeypatch.setattr("carepost.common.clock.now", lambda: later)
    assert consent_expiry_sweep() == 1
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN


def test_consents_due_for_review_in_30_days(carol: Any, person: Any) -> None:
    soon = services.consent_record(
        membership=carol,
        person=person,
        media=["name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
        valid_until=date.today() + timedelta(days=10),
    )
    services.consent_record(
        membership=carol,
        person=person,
        media=["photo"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
    )
    assert list(consents_due_for_review(organisation=person.organisation)) == [soon]


def test_weekly_review_digest_is_sent_once(carol: Any, person: Any, mailoutbox: Any) -> None:
    from carepost.consent.reminders import review_digests_send

    services.consent_record(
        membership=carol,
        person=person,
        media=["name"],
        all_public_channels=True,
        method="verbal_witnessed",
        witness="S",
        valid_until=date.today() + timedelta(days=10),
    )
    assert review_digests_send() == 1
    assert review_digests_send() == 0
    assert len(mailoutbox) == 1 and carol.user.email in mailoutbox[0].to


def test_subject_access_export_holds_everything(
    alice: Any, rita: Any, carol: Any, website: Any, consented: Any
) -> None:
    live(alice, rita, website, consented)
    data = subject_access_export(membership=carol, person=consented)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        record = json.loads(archive.read("carepost-record.json"))
        assert archive.read("carepost-record.pdf").startswith(b"%PDF")
    assert "carepost-record.pdf" in names
    assert record["person"]["legal_name"] == "Agnes Mary Baird"
    assert record["consent_events"][0]["media"] == ["name", "photo", "story"]
    assert record["posts"][0]["publications"][0]["state"] == "published"


def test_worker_cannot_export(alice: Any, consented: Any) -> None:
    with pytest.raises(PermissionDenied):
        subject_access_export(membership=alice, person=consented)


def test_erasure_takes_everything_down_then_removes_personal_data(
    alice: Any, rita: Any, carol: Any, website: Any, consented: Any
) -> None:
    pub = live(alice, rita, website, consented, photos=[photo()])
    person = person_erase(membership=carol, person=consented, confirm_name="agnes mary baird")
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN
    assert person.legal_name.startswith("Erased person") and person.date_of_birth is None
    assert "Nessie" not in pub.revision.__class__.objects.get(pk=pub.revision_id).text
    photo_row = pub.revision.photos.get().photo
    photo_row.refresh_from_db()
    assert not photo_row.clean_copy and not photo_row.original
    assert audit_chain_verify() == []
    assert last_event("person.erased").subject_id == str(person.pk)


def test_erasure_needs_the_name_typed(carol: Any, consented: Any) -> None:
    with pytest.raises(ValidationFailed):
        person_erase(membership=carol, person=consented, confirm_name="someone else")


def test_erasing_twice_is_a_conflict(carol: Any, consented: Any) -> None:
    person_erase(membership=carol, person=consented, confirm_name="Agnes Mary Baird")
    consented.refresh_from_db()
    with pytest.raises(ConflictError):
        person_erase(membership=carol, person=consented, confirm_name="Agnes Mary Baird")
