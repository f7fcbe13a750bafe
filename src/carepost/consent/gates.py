"""The consent gate (invariant I1): every person featured, every medium, every channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from carepost.common import clock
from carepost.consent.models import Media, Person
from carepost.consent.selectors import ConsentStatus, consent_status


@dataclass(frozen=True)
class ConsentCheck:
    person: Person
    channel: object
    media: str
    at: datetime
    status: ConsentStatus


def media_featuring(revision: object, person: Person) -> list[str]:
    """What of the person a revision publishes: their name, their photo, or their story.

    Named: a screening finding matched them in the text (or in words read in a photo).
    Pictured: in one of the revision's photos a face (found by Carepost or marked by hand)
    is linked to them. Every other face must be blurred before approval, so nobody else
    can be recognised in the photo (docs/decisions/0041-faces-and-consent.md).
    Tagged but neither: they are featured some other way, so it is their story.
    """
    media = []
    if revision.findings.filter(check_name="person", person=person).exists():  # type: ignore[attr-defined]
        media.append(Media.NAME)
    if revision.photos.filter(face_decisions__person=person).exists():  # type: ignore[attr-defined]
        media.append(Media.PHOTO)
    return [str(m) for m in media] or [str(Media.STORY)]


def revision_consent_checks(
    revision: object, *, channels: list[object] | None = None, at: datetime | None = None
) -> list[ConsentCheck]:
    """Consent for every tagged person x medium x channel, at `at` and, if later, at publish_at."""
    now = at or clock.now()
    moments = [now]
    publish_at = getattr(revision, "publish_at", None)
    if at is None and publish_at is not None and publish_at > now:
        moments.append(publish_at)
    chosen = channels if channels is not None else list(revision.channels.all())  # type: ignore[attr-defined]
    checks = []
    for person in revision.people.select_related("organisation").all():  # type: ignore[attr-defined]
        for media in media_featuring(revision, person):
            for channel in chosen:
                for moment in moments:
                    status = consent_status(person=person, media=media, channel=channel, at=moment)
                    checks.append(ConsentCheck(person, channel, media, moment, status))
                    if not status.allowed:
                        break
    return checks
