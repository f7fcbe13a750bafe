"""Outbox reliability: back-off, rate limits, reconciling unknown sends, take-downs that
wait for a reconnection, alerts to reviewers, and scheduled posts going out on time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone
from freezegun import freeze_time

from carepost.accounts.models import User
from carepost.accounts.services import membership_create
from carepost.audit.models import AuditEvent
from carepost.common.errors import PermissionDenied
from carepost.posts.models import Post
from carepost.posts.tests.helpers import approved
from carepost.publishing import services
from carepost.publishing.channel_services import channel_reconnect
from carepost.publishing.connectors.base import ConnectorError, ErrorKind, PublishResult
from carepost.publishing.management.commands.worker import periodic_jobs
from carepost.publishing.models import Channel, ChannelStatus, Publication, PublicationState
from carepost.publishing.selectors import attention_for, publication_outcomes
from carepost.publishing.services import (
    MAX_TRANSIENT_ATTEMPTS,
    backoff_seconds,
    outbox_sweep,
    publication_reconcile,
    publication_send,
    publication_take_down,
    publication_take_down_execute,
)
from carepost.publishing.tests.scripted import ScriptedConnector, only_publication
from carepost.publishing.views import attention_panel

pytestmark = pytest.mark.django_db

FOUND = PublishResult(external_id="found-1", url="https://social.example/found-1")


def actions(pub: Publication) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject_id=str(pub.pk), subject_type="publishing.publication")
        .order_by("seq")
        .values_list("action", flat=True)
    )


def make_due(pub: Publication) -> None:
    """Move the publication's back-off into the past, as the clock would."""
    past = timezone.now() - timedelta(seconds=1)
    # ... and the row was last touched before then (the sweep wakes each row once).
    Publication.objects.filter(pk=pub.pk).update(
        scheduled_at=past, retry_at=past, updated_at=past - timedelta(seconds=1)
    )


def unknown_publication(alice: Any, rita: Any, channel: Channel) -> Publication:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.UNKNOWN, "timed out")
    pub = only_publication(approved(alice, rita, channel))
    publication_send(publication_id=pub.pk)
    ScriptedConnector.publish_error = None
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    return pub


@pytest.fixture
def org_admin(org: Any) -> Any:
    user = User.objects.create_user(username="ada", password="pw-ada", email="ada@example.org")
    return membership_create(organisation=org, user=user, roles=["org_admin"])


# -- back-off and rate limits -----------------------------------------------------------
def test_backoff_grows_with_each_attempt_and_is_capped() -> None:
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (10, 3600), (40, 3600)]:
        delays = [backoff_seconds(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({backoff_seconds(3) for _ in range(20)}) > 1  # jittered


def test_transient_error_without_a_reset_header_backs_off_with_jitter(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.TRANSIENT, "502 bad gateway")
    pub = only_publication(approved(alice, rita, scripted))
    before = timezone.now()
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.QUEUED
    assert before + timedelta(seconds=14) <= pub.scheduled_at <= before + timedelta(seconds=31)
    scripted.refresh_from_db()
    assert scripted.paused_until is None  # one failed request does not hold the channel back
    assert outbox_sweep()["due"] == 0


def test_transient_errors_give_up_after_the_last_try_with_the_reason(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.TRANSIENT, "503 unavailable")
    pub = only_publication(approved(alice, rita, scripted))
    for _ in range(MAX_TRANSIENT_ATTEMPTS):
        make_due(pub)
        publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.FAILED
    assert pub.last_error == f"Gave up after {MAX_TRANSIENT_ATTEMPTS} tries: 503 unavailable"


def test_rate_limit_holds_back_the_whole_channel_until_the_reset(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    first = only_publication(approved(alice, rita, scripted))
    second = only_publication(approved(alice, rita, scripted, text="The second post."))
    ScriptedConnector.publish_error = ConnectorError(
        ErrorKind.TRANSIENT, "429 too many requests", retry_after=300
    )
    publication_send(publication_id=first.pk)
    first.refresh_from_db()
    scripted.refresh_from_db()
    assert first.state == PublicationState.QUEUED
    assert scripted.paused_until is not None
    assert scripted.paused_until > timezone.now() + timedelta(seconds=290)
    assert first.scheduled_at >= scripted.paused_until - timedelta(seconds=1)
    assert "channel.held_back" in AuditEvent.objects.values_list("action", flat=True)

    # The other publication of the same channel is held back too, though it is due.
    ScriptedConnector.publish_error = None
    assert publication_send(publication_id=second.pk) is None
    assert outbox_sweep()["due"] == 0
    assert ScriptedConnector.calls == [f"publish {first.pk}"]

    with freeze_time(timezone.now() + timedelta(seconds=301)):
        assert outbox_sweep()["due"] == 2  # both go out once the limit resets
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == PublicationState.PUBLISHED


def test_a_pause_is_never_shortened_by_a_later_smaller_reset(scripted: Channel) -> None:
    from carepost.publishing.channel_services import channel_hold_back

    long = channel_hold_back(channel=scripted, seconds=600, reason="429")
    channel_hold_back(channel=scripted, seconds=5, reason="429")
    scripted.refresh_from_db()
    assert scripted.paused_until == long


# -- expired credentials ------------------------------------------------------------------
def test_rejected_token_pauses_the_channel_and_emails_reviewers_and_admins_once(
    alice: Any, rita: Any, ravi: Any, org_admin: Any, bob: Any, olga: Any, scripted: Channel
) -> None:
    ScriptedConnector.publish_error = ConnectorError(
        ErrorKind.AUTH, "401 invalid_grant token=SECRET-abc body={raw}"
    )
    pub = only_publication(approved(alice, rita, scripted))
    other = only_publication(approved(alice, rita, scripted, text="Another post."))
    mail.outbox.clear()
    with django_capture_on_commit():
        publication_send(publication_id=pub.pk)
    with django_capture_on_commit():
        assert publication_send(publication_id=other.pk) is None  # the channel is paused
    scripted.refresh_from_db()
    assert scripted.status == ChannelStatus.NEEDS_REAUTH
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"rita@example.org", "ravi@example.org", "ada@example.org"}
    assert "Mastodon needs reconnecting" in message.subject
    assert "2 posts are waiting" in message.body
    assert "Nothing is lost" in message.body
    assert "/channels/" in message.body
    assert "SECRET" not in message.body and "raw" not in message.body
    for p in (pub, other):
        p.refresh_from_db()
        assert p.state == PublicationState.QUEUED  # never dropped


def test_reconnecting_sends_what_waited_and_carries_out_waiting_take_downs(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    live = only_publication(approved(alice, rita, scripted, text="Already out."))
    publication_send(publication_id=live.pk)
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.AUTH, "401")
    waiting = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=waiting.pk)
    ScriptedConnector.publish_error = None
    ScriptedConnector.calls.clear()

    live.refresh_from_db()
    publication_take_down(membership=rita, publication=live, reason="Consent withdrawn")
    live.refresh_from_db()
    assert live.state == PublicationState.PUBLISHED  # waits for the reconnection
    assert outbox_sweep() == {"stuck": 0, "due": 0, "reconciled": 0, "take_downs": 0, "alerted": 0}
    row = next(o for o in publication_outcomes(publications=[live]))
    assert row.take_down == "pending" and "needs reconnecting" in row.waiting
    assert ScriptedConnector.calls == []

    scripted.refresh_from_db()
    with django_capture_on_commit():
        channel_reconnect(membership=rita, channel=scripted, credentials={"access_token": "new"})
    live.refresh_from_db()
    waiting.refresh_from_db()
    assert live.state == PublicationState.TAKEN_DOWN
    assert waiting.state == PublicationState.PUBLISHED
    assert sorted(ScriptedConnector.calls) == sorted(
        [f"delete ext-{live.pk}", f"publish {waiting.pk}"]
    )


def django_capture_on_commit() -> Any:
    """Run on_commit callbacks (the tests run inside one transaction)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_rejected_token_during_a_take_down_keeps_it_pending(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    ScriptedConnector.delete_error = ConnectorError(ErrorKind.AUTH, "401")
    publication_take_down_execute(publication_id=pub.pk)
    pub.refresh_from_db()
    scripted.refresh_from_db()
    assert scripted.status == ChannelStatus.NEEDS_REAUTH
    assert pub.state == PublicationState.PUBLISHED
    assert pub.take_down_outcome.startswith("failed")
    assert outbox_sweep()["take_downs"] == 0  # waits for the reconnection


# -- unknown outcomes -------------------------------------------------------------------
def test_unknown_send_found_on_the_platform_is_recorded_as_published(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = FOUND
    make_due(pub)
    assert outbox_sweep()["reconciled"] == 1
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert pub.external_id == "found-1" and pub.url.endswith("found-1")
    assert ScriptedConnector.calls == [f"publish {pub.pk}", f"find {pub.pk}"]
    assert "publication.reconciled_published" in actions(pub)
    assert Post.objects.get(pk=pub.post_id).status == "published"


def test_unknown_send_that_did_not_happen_is_sent_again_once(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = None
    make_due(pub)
    outbox_sweep()
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert ScriptedConnector.calls == [f"publish {pub.pk}", f"find {pub.pk}", f"publish {pub.pk}"]
    assert "publication.reconciled_not_sent" in actions(pub)


def test_platform_that_cannot_answer_is_asked_again_later_not_hammered(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = ConnectorError(ErrorKind.TRANSIENT, "503")
    make_due(pub)
    outbox_sweep()
    outbox_sweep()
    outbox_sweep()
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    assert ScriptedConnector.calls.count(f"find {pub.pk}") == 1
    assert pub.retry_at is not None and pub.retry_at > timezone.now() + timedelta(seconds=25)
    first_wait = pub.retry_at - timezone.now()
    make_due(pub)
    outbox_sweep()
    pub.refresh_from_db()
    assert ScriptedConnector.calls.count(f"find {pub.pk}") == 2
    assert pub.retry_at is not None
    assert pub.retry_at - timezone.now() > first_wait / 2  # waits longer each time
    assert "Still checking" in pub.last_error


def test_reconciling_twice_at_once_checks_once(alice: Any, rita: Any, scripted: Channel) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = ConnectorError(ErrorKind.UNKNOWN, "timed out")
    make_due(pub)
    assert publication_reconcile(publication_id=pub.pk) is not None
    assert publication_reconcile(publication_id=pub.pk) is None


def test_reviewers_are_told_once_when_nobody_can_tell_after_an_hour(
    alice: Any, rita: Any, org_admin: Any, scripted: Channel, settings: Any
) -> None:
    settings.CAREPOST_UNKNOWN_ALERT_AFTER = 3600
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = ConnectorError(ErrorKind.TRANSIENT, "503")
    mail.outbox.clear()
    assert outbox_sweep()["alerted"] == 0
    with freeze_time(timezone.now() + timedelta(minutes=61)):
        with django_capture_on_commit():
            assert outbox_sweep()["alerted"] == 1
        with django_capture_on_commit():
            assert outbox_sweep()["alerted"] == 0
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"rita@example.org", "ada@example.org"}
    assert "need a person to check" in mail.outbox[0].subject
    assert f"/posts/{pub.post_id}/" in mail.outbox[0].body
    assert "publication.needs_person" in actions(pub)
    attention = attention_for(membership=rita)
    assert [p.pk for p in attention.needs_person] == [pub.pk]


# -- take-downs of unknown sends ----------------------------------------------------------
def test_taking_down_an_unknown_send_finds_it_first_then_deletes_it(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = FOUND
    with django_capture_on_commit():
        publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN
    assert pub.external_id == "found-1"
    assert ScriptedConnector.calls[-2:] == [f"find {pub.pk}", "delete found-1"]


def test_taking_down_an_unknown_send_that_never_went_out_cancels_it(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = None
    with django_capture_on_commit():
        publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    pub.refresh_from_db()
    assert pub.state == PublicationState.CANCELLED
    assert "never went out" in pub.take_down_outcome
    assert not any(c.startswith("delete") for c in ScriptedConnector.calls)


def test_an_unknown_send_is_not_recorded_taken_down_while_the_platform_cannot_answer(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = unknown_publication(alice, rita, scripted)
    ScriptedConnector.find_answer = ConnectorError(ErrorKind.TRANSIENT, "503")
    with django_capture_on_commit():
        publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    pub.refresh_from_db()
    assert pub.state == PublicationState.UNKNOWN
    assert pub.take_down_outcome.startswith("failed")
    assert "publication.taken_down" not in actions(pub)


def test_a_platform_that_cannot_delete_leaves_it_marked_live_for_a_person(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    ScriptedConnector.delete_outcome = "not_possible"
    mail.outbox.clear()
    with django_capture_on_commit():
        publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert pub.take_down_outcome.startswith("not possible")
    assert outbox_sweep()["take_downs"] == 0  # not retried: a person must act
    assert len(mail.outbox) == 1
    row = publication_outcomes(publications=[pub])[0]
    assert row.take_down == "not_possible" and row.needs_person


def test_take_down_asked_for_while_sending_happens_once_it_is_live(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))

    def consent_withdrawn_meanwhile(publication: Publication) -> None:
        publication_take_down(membership=rita, publication=publication, reason="Withdrawn")

    ScriptedConnector.during_publish = consent_withdrawn_meanwhile
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.TAKEN_DOWN
    assert ScriptedConnector.calls == [f"publish {pub.pk}", f"delete ext-{pub.pk}"]


def test_take_down_asked_for_while_a_send_fails_cancels_it(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))

    def consent_withdrawn_meanwhile(publication: Publication) -> None:
        publication_take_down(membership=rita, publication=publication, reason="Withdrawn")
        raise ConnectorError(ErrorKind.TRANSIENT, "503")

    ScriptedConnector.during_publish = consent_withdrawn_meanwhile
    publication_send(publication_id=pub.pk)
    pub.refresh_from_db()
    assert pub.state == PublicationState.CANCELLED
    assert pub.take_down_outcome == "cancelled before it was sent"
    assert outbox_sweep()["due"] == 0


# -- the sweeper and scheduled publications -----------------------------------------------
def test_scheduled_publication_goes_out_within_a_minute_of_its_time(
    alice: Any, rita: Any, website: Any
) -> None:
    start = timezone.now().replace(microsecond=0)
    when = start + timedelta(hours=3)
    with freeze_time(start):
        post = approved(alice, rita, website, publish_at=when)
    pub = only_publication(post)
    interval = next(j.every for j in periodic_jobs(15) if j.name == "outbox")
    assert interval <= 60
    with freeze_time(when - timedelta(seconds=1)):
        outbox_sweep()
    pub.refresh_from_db()
    assert pub.state == PublicationState.QUEUED
    # The worker sweeps every `interval` seconds, so the first sweep after the time
    # comes at most one interval later, and it sends the publication.
    with freeze_time(when + timedelta(seconds=interval)):
        assert outbox_sweep()["due"] == 1
    pub.refresh_from_db()
    assert pub.state == PublicationState.PUBLISHED
    assert pub.published_at is not None
    assert pub.published_at - when <= timedelta(minutes=1)


def test_default_sweep_interval_is_well_under_a_minute(settings: Any) -> None:
    from django.conf import settings as django_settings

    assert django_settings.CAREPOST_SWEEP_INTERVAL <= 30


# -- what the reviewers see ---------------------------------------------------------------
def test_home_panel_shows_reviewers_the_channels_to_reconnect(
    alice: Any, rita: Any, bob: Any, scripted: Channel
) -> None:
    ScriptedConnector.publish_error = ConnectorError(ErrorKind.AUTH, "401")
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    request = RequestFactory().get("/")
    request.user = rita.user
    html = attention_panel(request, rita)
    assert "Reconnect Mastodon" in html and "1 publication is waiting" in html
    assert attention_panel(request, bob) == ""


def test_attention_is_for_reviewers_and_admins_of_the_same_organisation(
    alice: Any, rita: Any, bob: Any, olga: Any, scripted: Channel
) -> None:
    Channel.objects.filter(pk=scripted.pk).update(status=ChannelStatus.NEEDS_REAUTH)
    with pytest.raises(PermissionDenied):
        attention_for(membership=bob)
    assert attention_for(membership=olga).channels == []
    assert [c.pk for c, _ in attention_for(membership=rita).channels] == [scripted.pk]


def test_post_page_shows_each_platform_outcome(
    client: Any, alice: Any, rita: Any, scripted: Channel, website: Any
) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    client.force_login(rita.user)
    page = client.get(f"/posts/{pub.post_id}/").content.decode()
    assert f"https://social.example/{pub.pk}" in page
    assert "Scripted deletion note." in page  # next to the take-down control
    pub.refresh_from_db()
    with django_capture_on_commit():
        publication_take_down(membership=rita, publication=pub, reason="Consent withdrawn")
    page = client.get(f"/posts/{pub.post_id}/").content.decode()
    assert "Taken down" in page and "deleted" in page and "Consent withdrawn" in page


def test_post_page_says_a_take_down_waits_for_the_reconnection(
    client: Any, alice: Any, rita: Any, scripted: Channel
) -> None:
    pub = only_publication(approved(alice, rita, scripted))
    publication_send(publication_id=pub.pk)
    Channel.objects.filter(pk=scripted.pk).update(status=ChannelStatus.NEEDS_REAUTH)
    client.force_login(rita.user)
    response = client.post(
        f"/publications/{pub.pk}/take-down/", {"reason": "Consent withdrawn"}, follow=True
    )
    page = response.content.decode()
    assert "needs reconnecting first" in page
    assert "the take-down will be carried out as soon as a reviewer reconnects it" in page


def test_services_module_exports_the_recovery_entry_points() -> None:
    assert callable(services.publication_reconcile)


def test_the_send_claim_checks_the_state_in_the_update_itself(
    alice: Any, rita: Any, scripted: Channel
) -> None:
    """PostgreSQL re-checks an UPDATE's own WHERE on a row another worker just changed,
    but not a `pk IN (SELECT …)`: the claim must not be turned into one by a join."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pub = only_publication(approved(alice, rita, scripted))
    with CaptureQueriesContext(connection) as queries:
        publication_send(publication_id=pub.pk)
    claim = next(
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "'sending'" in q["sql"]
    )
    where = claim.split(" WHERE ", 1)[1]
    assert '"state" = ' in without_subqueries(where)


def without_subqueries(sql: str) -> str:
    """The SQL with every parenthesised (SELECT …) removed."""
    out, depth, i = [], 0, 0
    while i < len(sql):
        if depth == 0 and sql.startswith("(SELECT", i):
            depth = 1
            i += 1
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
        else:
            out.append(sql[i])
        i += 1
    return "".join(out)
