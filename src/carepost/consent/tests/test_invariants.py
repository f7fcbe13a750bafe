"""Invariants I1 and I2 under random sequences of register and desk actions.

A hypothesis state machine records and withdraws consents, changes flags and capacity,
tags people in posts, approves and publishes them, sweeps, and moves the clock on. After
every step it checks that, once the sweep has run, no live publication features anyone
who is not allowed at that moment for that medium and channel (I1), and that every
take-down has a recorded outcome (I2).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from carepost.common import clock
from carepost.common.errors import DomainError
from carepost.consent import services
from carepost.consent.gates import media_featuring
from carepost.consent.models import ConsentRecord, Person
from carepost.consent.selectors import consent_status
from carepost.consent.takedown import consent_expiry_sweep, person_publications_recheck
from carepost.posts.models import FaceChoice
from carepost.posts.photo_services import FaceBox, face_mark
from carepost.posts.services import (
    DraftInput,
    FaceDecisionInput,
    PhotoInput,
    post_create,
    post_faces_decide,
    post_submit,
)
from carepost.posts.tests.helpers import analyse_pending, jpeg_with_gps
from carepost.publishing.models import LIVE_STATES, Channel, Publication, PublicationState
from carepost.publishing.services import outbox_sweep, publication_send
from carepost.review.services import review_approve

SEQUENCES = int(__import__("os").environ.get("CAREPOST_CONSENT_SEQUENCES", "2000"))
PHOTO = jpeg_with_gps((16, 12))
FLAGS = ["do_not_publish", "do_not_photograph", "do_not_name"]
COUNTS: Counter[str] = Counter()


class ConsentMachine(RuleBasedStateMachine):
    world: dict[str, Any] = {}

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.offset = timedelta(0)
        self.swept = True
        w = self.world
        self.people: list[Person] = w["people"]
        self.channels: list[Channel] = w["channels"]

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        ConsentMachine.world["clock"].undo()

    def _now(self) -> Any:
        return timezone.now() + self.offset

    # --- register actions -------------------------------------------------------
    @rule(
        who=st.integers(0, 2),
        media=st.sets(st.sampled_from(["name", "photo", "story"]), min_size=1),
        channel=st.integers(-1, 1),
        days=st.integers(1, 60),
        by_rep=st.booleans(),
    )
    def record_consent(
        self, who: int, media: set[str], channel: int, days: int, by_rep: bool
    ) -> None:
        person = self.people[who]
        rep = person.representatives.first() if by_rep else None
        with contextlib.suppress(DomainError):  # refused (e.g. next of kin): nothing recorded
            services.consent_record(
                membership=self.world["officer"],
                person=person,
                media=media,
                all_public_channels=channel < 0,
                channels=[] if channel < 0 else [self.channels[channel]],
                method="verbal_witnessed",
                witness="W",
                representative=rep,
                valid_until=clock.today() + timedelta(days=days),
            )
        self.swept = False

    @rule(who=st.integers(0, 2), days=st.integers(1, 90))
    def record_full_consent(self, who: int, days: int) -> None:
        """Everything, everywhere, given by whoever may give it: makes publishing likely."""
        person = self.people[who]
        for rep in [None, *person.representatives.all()]:
            self.record_consent(who, {"name", "photo", "story"}, -1, days, rep is not None)

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        records = list(ConsentRecord.objects.filter(withdrawal__isnull=True).order_by("pk"))
        if not records:
            return
        record = data.draw(st.sampled_from(records))
        services.consent_withdraw(membership=self.world["officer"], record=record)
        self.swept = False

    @rule(who=st.integers(0, 2))
    def withdraw_everything_for(self, who: int) -> None:
        """ "I don't want to be online any more": every current consent for one person."""
        for record in ConsentRecord.objects.filter(
            person=self.people[who], withdrawal__isnull=True
        ):
            services.consent_withdraw(membership=self.world["officer"], record=record)
        self.swept = False

    @rule(who=st.integers(0, 2), flag=st.sampled_from(FLAGS), value=st.booleans())
    def set_flag(self, who: int, flag: str, value: bool) -> None:
        person = Person.objects.get(pk=self.people[who].pk)
        flags = {f: getattr(person, f) for f in FLAGS}
        flags[flag] = value
        services.person_update(
            membership=self.world["officer"],
            person=person,
            legal_name=person.legal_name,
            preferred_name=person.preferred_name,
            aliases=person.aliases,
            date_of_birth=person.date_of_birth,
            service=person.service,
            flags=flags,
        )
        self.swept = False

    @rule(who=st.integers(0, 2), lacks=st.booleans())
    def set_capacity(self, who: int, lacks: bool) -> None:
        services.capacity_decision_record(
            membership=self.world["officer"],
            person=self.people[who],
            outcome="lacks_capacity" if lacks else "has_capacity",
            assessed_on=clock.today(),
            assessed_by="Dr K",
        )
        self.swept = False

    # --- desk actions -------------------------------------------------------------
    @rule(
        who=st.one_of(
            st.sets(st.integers(0, 2), min_size=1, max_size=1),
            st.sets(st.integers(0, 2), max_size=2),
        ),
        named=st.booleans(),
        with_photo=st.booleans(),
        channels=st.sets(st.integers(0, 1), min_size=1),
    )
    def publish_a_post(
        self, who: set[int], named: bool, with_photo: bool, channels: set[int]
    ) -> None:
        people = [Person.objects.get(pk=self.people[i].pk) for i in sorted(who)]
        names = " and ".join(p.preferred_name for p in people) if named and people else "everyone"
        text = f"A lovely afternoon in the garden with {names}."
        try:
            post = post_create(
                membership=self.world["author"],
                draft=DraftInput(
                    text=text,
                    channels=[self.channels[i] for i in sorted(channels)],
                    people=people,
                    photos=[PhotoInput(alt_text="The garden", data=PHOTO, name="g.jpg")]
                    if with_photo
                    else [],
                ),
            )
            analyse_pending(post)
            if with_photo and people:
                # The first person tagged is pictured: their face is linked, so their
                # photo consent is what the gates must check (decision 0041).
                rp = post.current_revision.photos.get()
                face = face_mark(
                    membership=self.world["author"], revision_photo=rp, box=FaceBox(4, 4, 16, 16)
                )
                post = post_faces_decide(
                    membership=self.world["author"],
                    post=post,
                    expected_version=post.version,
                    decisions={rp.pk: {face.pk: FaceDecisionInput(FaceChoice.PERSON, people[0])}},
                )
            post = post_submit(
                membership=self.world["author"], post=post, expected_version=post.version
            )
            post = review_approve(
                membership=self.world["reviewer"],
                post=post,
                revision_id=post.current_revision_id,
                expected_version=post.version,
            )
        except DomainError:
            return  # refused: nothing unsafe was approved
        for pub in Publication.objects.filter(post=post):
            publication_send(publication_id=pub.pk)
        if people:
            COUNTS["published featuring people"] += 1

    @rule(
        who=st.integers(0, 2),
        days=st.integers(1, 90),
        named=st.booleans(),
        with_photo=st.booleans(),
    )
    def consent_then_publish(self, who: int, days: int, named: bool, with_photo: bool) -> None:
        """The everyday path: consent is recorded, then a post featuring them goes out."""
        self.record_full_consent(who, days)
        self.publish_a_post({who}, named, with_photo, {0, 1})

    # --- time and the sweeper -------------------------------------------------------
    @rule(days=st.integers(1, 45))
    def advance_clock(self, days: int) -> None:
        self.offset += timedelta(days=days)
        ConsentMachine.world["clock"].set(self._now)
        self.swept = False

    @rule()
    def sweep(self) -> None:
        taken = sum(
            len(person_publications_recheck(person_id=p.pk, reason="register changed"))
            for p in self.people
        )
        taken += consent_expiry_sweep()
        COUNTS["taken down by the sweep"] += taken
        outbox_sweep()
        self.swept = True

    # --- invariants -------------------------------------------------------------------
    @precondition(lambda self: self.swept)
    @invariant()
    def i1_nothing_live_features_anyone_not_allowed(self) -> None:
        live = Publication.objects.filter(
            state__in=LIVE_STATES, take_down_requested_at__isnull=True
        ).select_related("channel", "revision")
        for pub in live:
            for person in pub.revision.people.all():
                for media in media_featuring(pub.revision, person):
                    status = consent_status(person=person, media=media, channel=pub.channel)
                    assert status.allowed, (
                        f"I1 broken: publication {pub.pk} features {person}: {status.reason}"
                    )

    @precondition(lambda self: self.swept)
    @invariant()
    def i2_every_take_down_has_an_outcome(self) -> None:
        pending = Publication.objects.filter(take_down_requested_at__isnull=False).exclude(
            state__in=[PublicationState.TAKEN_DOWN, PublicationState.CANCELLED]
        )
        for pub in pending:
            assert pub.take_down_outcome and pub.take_down_outcome != "in progress", (
                f"I2 broken: publication {pub.pk} has no take-down outcome"
            )


class MovableClock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def set(self, fn: Any) -> None:
        self.monkeypatch.setattr(clock, "now", fn)

    def undo(self) -> None:
        self.monkeypatch.setattr(clock, "now", timezone.now)


@pytest.mark.django_db
def test_consent_invariants_hold_under_random_sequences(
    org: Any,
    service: Any,
    website: Any,
    alice: Any,
    ravi: Any,
    carol: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    partner = Channel.objects.create(organisation=org, kind="website", name="Partner news")
    adult = Person.objects.create(
        organisation=org,
        service=service,
        legal_name="Rose McAllister",
        preferred_name="Rosie",
        date_of_birth=date(1940, 1, 1),
    )
    cared = Person.objects.create(
        organisation=org,
        service=service,
        legal_name="Walter Hendry",
        preferred_name="Wattie",
        date_of_birth=date(1935, 1, 1),
    )
    child = Person.objects.create(
        organisation=org,
        service=service,
        legal_name="Calum Birnie",
        preferred_name="Calum",
        date_of_birth=date(2016, 1, 1),
    )
    services.representative_record(
        membership=carol,
        person=cared,
        name="Ann",
        relationship="Daughter",
        authority="welfare_guardian",
        covers_publicity=True,
        valid_from=date(2020, 1, 1),
        evidence_reference="Order 1",
    )
    services.representative_record(
        membership=carol,
        person=child,
        name="Kate",
        relationship="Mother",
        authority="parental_responsibilities",
        covers_publicity=True,
        valid_from=date(2016, 1, 1),
    )
    COUNTS.clear()
    ConsentMachine.world = {
        "people": [adult, cared, child],
        "channels": [website, partner],
        "officer": carol,
        "author": alice,
        "reviewer": ravi,
        "clock": MovableClock(monkeypatch),
    }
    run_state_machine_as_test(
        ConsentMachine,
        settings=settings(
            max_examples=SEQUENCES,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The run must really have exercised the gate and the take-downs.
    print(dict(COUNTS))
    assert COUNTS["published featuring people"] >= SEQUENCES // 20
    assert COUNTS["taken down by the sweep"] >= SEQUENCES // 200
