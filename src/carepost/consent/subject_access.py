"""The person's own view: a subject access export, and erasure (UK GDPR Art 15 and 17)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from django.db import transaction
from django.db.models import Q

from carepost.accounts.models import Membership
from carepost.audit.services import audit_event_record
from carepost.common import clock
from carepost.common.crypto import decrypt
from carepost.common.errors import ConflictError, PermissionDenied, ValidationFailed
from carepost.consent.models import ConsentRecord, EvidenceFile, Person, Representative
from carepost.consent.pdf import subject_access_pdf
from carepost.consent.services import WRITE_ROLES
from carepost.posts.models import Photo, PostRevision, ScreeningFinding
from carepost.publishing.models import LIVE_STATES, Publication, PublicationState


def _require(membership: Membership, person: Person) -> None:
    if person.organisation_id != membership.organisation_id:
        raise PermissionDenied("That person is supported by another organisation.")
    if not membership.has_role(*WRITE_ROLES):
        raise PermissionDenied("Only the consent officer or an administrator can do this.")


def subject_access_data(person: Person) -> dict[str, Any]:
    """Everything Carepost holds about the person, as plain data."""
    revisions = (
        PostRevision.objects.filter(people=person)
        .select_related("post")
        .order_by("post_id", "number")
    )
    return {
        "exported_at": clock.now().isoformat(),
        "person": {
            "id": person.pk,
            "legal_name": person.legal_name,
            "preferred_name": person.preferred_name,
            "aliases": person.aliases,
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
            "service": person.service.name,
            "instructions": {
                "do_not_publish": person.do_not_publish,
                "do_not_photograph": person.do_not_photograph,
                "do_not_name": person.do_not_name,
                "looked_after": person.looked_after,
                "childrens_hearing": person.childrens_hearing,
            },
        },
        "capacity_decisions": [
            {
                "outcome": d.get_outcome_display(),
                "assessed_on": d.assessed_on.isoformat(),
                "assessed_by": d.assessed_by,
                "review_on": d.review_on.isoformat() if d.review_on else None,
                "notes": d.notes,
            }
            for d in person.capacity_decisions.order_by("assessed_on", "id")
        ],
        "representatives": [
            {
                "id": r.pk,
                "name": r.name,
                "relationship": r.relationship,
                "authority": r.get_authority_display(),
                "covers_publicity": r.covers_publicity,
                "valid_from": r.valid_from.isoformat(),
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
            }
            for r in person.representatives.order_by("valid_from", "id")
        ],
        "consent_events": [
            {
                "id": c.pk,
                "kind": c.kind,
                "given_by": c.representative.name if c.representative else "the person",
                "media": c.media,
                "channels": "all public channels"
                if c.all_public_channels
                else [ch.name for ch in c.channels.all()],
                "valid_from": c.valid_from.isoformat(),
                "valid_until": c.valid_until.isoformat(),
                "method": c.get_method_display(),
                "recorded_at": c.recorded_at.isoformat(),
                "withdrawn_at": c.withdrawal.withdrawn_at.isoformat()
                if hasattr(c, "withdrawal")
                else None,
                "persons_own_view": c.persons_own_view,
            }
            for c in person.consent_records.select_related("representative")
            .prefetch_related("channels")
            .order_by("recorded_at", "id")
        ],
        "posts": [
            {
                "post": rev.post_id,
                "version": rev.number,
                "text": rev.text,
                "created_at": rev.created_at.isoformat(),
                "photos": rev.photos.count(),
                "publications": [
                    {
                        "channel": p.channel.name,
                        "state": p.state,
                        "url": p.url,
                        "published_at": p.published_at.isoformat() if p.published_at else None,
                        "taken_down_at": p.taken_down_at.isoformat() if p.taken_down_at else None,
                        "take_down_outcome": p.take_down_outcome,
                    }
                    for p in rev.publications.select_related("channel").order_by("pk")
                ],
            }
            for rev in revisions
        ],
    }


def subject_access_export(*, membership: Membership, person: Person) -> bytes:
    """A ZIP: the data as JSON, a readable PDF, and the signed forms held as evidence."""
    _require(membership, person)
    data = subject_access_data(person)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("carepost-record.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("carepost-record.pdf", subject_access_pdf(data))
        for evidence in EvidenceFile.objects.filter(person=person).order_by("pk"):
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", evidence.original_name)
            archive.writestr(f"evidence/{evidence.pk}-{safe}", decrypt(bytes(evidence.ciphertext)))
    with transaction.atomic():
        audit_event_record(
            action="person.subject_access_exported",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
        )
    return buffer.getvalue()


REDACTED = "[name removed]"


def _name_pattern(person: Person) -> re.Pattern[str] | None:
    forms = {person.legal_name, person.preferred_name, *person.aliases, *person.legal_name.split()}
    forms = {f.strip() for f in forms if f and len(f.strip()) >= 2}
    if not forms:
        return None
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:'s|\u2019s)?(?!\w)", re.IGNORECASE)


def person_erase(*, membership: Membership, person: Person, confirm_name: str) -> Person:
    """Take everything featuring the person down first, then remove their personal data.

    The audit log holds only ids, so its hash chain still verifies afterwards.
    """
    from carepost.consent.takedown import take_down_everywhere

    _require(membership, person)
    if person.erased_at is not None:
        raise ConflictError("This person's record has already been erased.")
    if confirm_name.strip().casefold() != person.legal_name.strip().casefold():
        raise ValidationFailed("Type the person's full name exactly to confirm the erasure.")
    take_down_everywhere(
        person=person, reason="the person's record is being erased", actor=membership.user
    )
    still_live = Publication.objects.filter(revision__people=person, state__in=LIVE_STATES)
    if still_live.exists():
        raise ConflictError(
            f"{still_live.count()} publication(s) could not be taken down yet. Erasure waits until "
            "every one is down; the post pages show what failed."
        )
    pattern = _name_pattern(person)
    with transaction.atomic():
        Publication.objects.filter(revision__people=person, state=PublicationState.QUEUED).update(
            state=PublicationState.CANCELLED, take_down_outcome="cancelled: person erased"
        )
        Publication.objects.filter(revision__people=person).update(
            take_down_reason="(removed when the person's record was erased)"
        )
        revisions = list(PostRevision.objects.filter(people=person))
        for revision in revisions:
            if pattern is not None:
                PostRevision.objects.filter(pk=revision.pk).update(
                    text=pattern.sub(REDACTED, revision.text)
                )
        ScreeningFinding.objects.filter(
            Q(person=person) | Q(revision__in=revisions, check_name="person")
        ).update(text=REDACTED)
        photos = Photo.objects.filter(uses__revision__in=revisions).distinct()
        for photo in photos:
            for f in (photo.original, photo.clean_copy):
                if f:
                    f.delete(save=False)
            Photo.objects.filter(pk=photo.pk).update(
                original="", clean_copy="", original_name="", metadata_found=[], report={}
            )
            # The copies made with faces blurred show the other faces: remove them too.
            for use in photo.uses.exclude(published_copy=""):
                use.published_copy.delete(save=False)
            photo.uses.update(published_copy="")
        EvidenceFile.objects.filter(person=person).delete()
        Representative.objects.filter(person=person).update(
            name="Erased representative", relationship="", evidence_reference="", evidence=None
        )
        ConsentRecord.objects.filter(person=person).update(
            witness="", persons_own_view="", evidence=None
        )
        person.capacity_decisions.update(assessed_by="Erased", notes="")
        Person.objects.filter(pk=person.pk).update(
            legal_name=f"Erased person {person.pk}",
            preferred_name="",
            aliases=[],
            date_of_birth=None,
            do_not_publish=True,
            erased_at=clock.now(),
        )
        person.refresh_from_db()
        audit_event_record(
            action="person.erased",
            subject=person,
            actor=membership.user,
            organisation=membership.organisation,
            data={"revisions_redacted": len(revisions), "photos_removed": photos.count()},
        )
    return person
