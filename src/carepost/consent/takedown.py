"""Invariant I2: withdrawal, expiry or a new override takes the person down everywhere."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.mail import send_mail
from django.db.models import QuerySet

from carepost.accounts.models import Membership, Organisation
from carepost.accounts.roles import Role
from carepost.common import clock
from carepost.common.errors import InvalidTransition
from carepost.consent.gates import media_featuring
from carepost.consent.models import Person
from carepost.consent.selectors import consent_status
from carepost.publishing.models import LIVE_STATES, Publication
from carepost.publishing.services import (
    publication_request_take_down,
    publication_take_down_execute,
)

logger = logging.getLogger(__name__)


def live_publications_featuring(person: Person) -> QuerySet[Publication]:
    return Publication.objects.filter(
        revision__people=person, state__in=LIVE_STATES, take_down_requested_at__isnull=True
    ).select_related("channel", "revision", "organisation", "post")


def _not_allowed(
    publication: Publication, people: Iterable[Person], cache: dict[tuple[int, str, int], str]
) -> str:
    """The first reason one of `people` may no longer appear in `publication`, or ""."""
    for person in people:
        for media in media_featuring(publication.revision, person):
            key = (person.pk, media, publication.channel_id)
            if key not in cache:
                status = consent_status(person=person, media=media, channel=publication.channel)
                cache[key] = "" if status.allowed else status.reason
            if cache[key]:
                return cache[key]
    return ""


def _take_down(reasons: dict[Publication, str], actor: object = None) -> list[Publication]:
    """Record each take-down (gone from the website at once), then carry them out."""
    requested = []
    for publication, reason in reasons.items():
        try:
            publication_request_take_down(
                publication=publication, reason=reason, actor=actor, enqueue=False
            )
        except InvalidTransition:  # someone else took it down first: nothing lost
            logger.info("Publication %s was already being taken down", publication.pk)
            continue
        requested.append(publication)
    # Outside any transaction: connectors may call their platforms.
    for publication in requested:
        publication_take_down_execute(publication_id=publication.pk)
        publication.refresh_from_db()
    return requested


def take_down_disallowed(
    publications: Iterable[Publication], people_of: dict[int, list[Person]], why: str
) -> list[Publication]:
    """Take down every publication someone may no longer be in."""
    cache: dict[tuple[int, str, int], str] = {}
    reasons = {}
    for publication in publications:
        reason = _not_allowed(publication, people_of[publication.pk], cache)
        if reason:
            reasons[publication] = f"{why}: {reason}"
    return _take_down(reasons)


def person_publications_recheck(*, person_id: int, reason: str) -> list[Publication]:
    person = Person.objects.select_related("organisation").get(pk=person_id)
    publications = list(live_publications_featuring(person))
    done = take_down_disallowed(
        publications, {p.pk: [person] for p in publications}, reason.capitalize()
    )
    if done:
        _notify(person.organisation, person, reason, done)
    return done


def take_down_everywhere(*, person: Person, reason: str, actor: object = None) -> list[Publication]:
    """Take down every live publication featuring the person, whatever their consent says."""
    return _take_down({p: reason for p in live_publications_featuring(person)}, actor)


def consent_expiry_sweep() -> int:
    """Take down live publications whose people's consent has lapsed since they went out."""
    publications = list(
        Publication.objects.filter(
            state__in=LIVE_STATES,
            take_down_requested_at__isnull=True,
            revision__people__isnull=False,
        )
        .distinct()
        .select_related("channel", "revision", "organisation", "post")
    )
    if not publications:
        return 0
    people_of: dict[int, list[Person]] = {
        p.pk: list(p.revision.people.select_related("organisation")) for p in publications
    }
    done = take_down_disallowed(
        publications, people_of, "Consent no longer covers this publication"
    )
    for publication in done:
        for person in people_of[publication.pk]:
            _notify(publication.organisation, person, "consent expired or changed", [publication])
    return len(done)


def _recipients(organisation: Organisation) -> list[str]:
    members = Membership.objects.filter(
        organisation=organisation,
        is_active=True,
        roles__role__in=[Role.REVIEWER, Role.CONSENT_OFFICER],
    ).select_related("user")
    return sorted({m.user.email for m in members if m.user.email})


def _notify(
    organisation: Organisation, person: Person, reason: str, publications: list[Publication]
) -> None:
    recipients = _recipients(organisation)
    if not recipients:
        return
    shown = 50  # a readable email; the post pages hold every outcome
    lines = [
        f"- {p.channel.name}: {p.get_state_display().lower()}"
        f"{' (' + p.take_down_outcome + ')' if p.take_down_outcome else ''}, post {p.post_id}"
        for p in publications[:shown]
    ]
    if len(publications) > shown:
        lines.append(f"- and {len(publications) - shown} more")
    send_mail(
        subject=f"Carepost: {len(publications)} publication(s) taken down ({reason})",
        message=(
            f"Because {reason}, Carepost took down every live publication featuring "
            f"{person.display_name} that was no longer allowed ({clock.now():%-d %B %Y %H:%M}):\n\n"
            + "\n".join(lines)
            + "\n\nEach post's page shows the outcome on every channel. Anything marked failed is "
            "retried automatically; check it if it stays failed."
        ),
        from_email=None,
        recipient_list=recipients,
    )
