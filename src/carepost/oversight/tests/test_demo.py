"""The demo organisation loads, shows every module with data, and loads only once."""

from __future__ import annotations

import pytest
from django.test import Client

from carepost.accounts.models import Membership, Organisation
from carepost.boundaries.models import ConnectionRequest, Declaration, Notification
from carepost.learning.models import BadgeAssertion, Module, Reflection, SelfAssessment
from carepost.oversight.demo import DEMO_SLUG, demo_load
from carepost.policies.due import State
from carepost.policies.models import Policy
from carepost.policies.selectors import team_statuses
from carepost.posts.models import Post, PostStatus


@pytest.mark.django_db
def test_demo_load_shows_every_module_and_is_idempotent() -> None:
    logins = demo_load()
    assert {login.username for login in logins} >= {"aileen", "callum", "shona", "kirsty"}
    org = Organisation.objects.get(slug=DEMO_SLUG)

    # Posts in every state, including archived.
    statuses = set(Post.objects.filter(organisation=org).values_list("status", flat=True))
    assert statuses == set(PostStatus.values)

    # A live publication on the public news page.
    page = Client().get(f"/news/{DEMO_SLUG}/")
    assert page.status_code == 200
    assert "sweet peas" in page.content.decode()

    # Policies: the social media policy has two versions, the second asks for a re-read.
    social = Policy.objects.get(organisation=org, slug="social-media")
    assert list(social.versions.values_list("number", "requires_reattestation")) == [
        (1, True),
        (2, True),
    ]
    assert Policy.objects.filter(organisation=org, slug="photo-video-consent").exists()
    shona = Membership.objects.get(organisation=org, user__username="shona")
    overdue = [r for r in team_statuses(membership=shona) if r.status.state == State.OVERDUE]
    assert [r.member.user.username for r in overdue] == ["callum"]

    # Learning: starter modules, a badge for Aileen, Callum's reflection in progress.
    assert Module.objects.filter(organisation=org).count() >= 4
    badge = BadgeAssertion.objects.get(organisation=org)
    assert badge.recipient.username == "aileen"
    assert Reflection.objects.get(organisation=org, author__username="callum").status == "draft"
    assert (
        SelfAssessment.objects.filter(organisation=org, membership__user__username="aileen").count()
        == 2
    )

    # Boundaries: a declined-and-referred request, one acknowledged and one waiting.
    request = ConnectionRequest.objects.get(organisation=org)
    assert request.outcome == "declined_referred"
    assert Notification.objects.filter(
        organisation=org, recipient=shona, kind="connection_request"
    ).exists()
    acknowledged = Declaration.objects.get(organisation=org, worker__user__username="aileen")
    assert acknowledged.plans.count() == 1
    waiting = Declaration.objects.get(organisation=org, worker__user__username="morag")
    assert not waiting.plans.exists()

    # A second run changes nothing.
    counts = (
        Post.objects.count(),
        Policy.objects.count(),
        BadgeAssertion.objects.count(),
        Declaration.objects.count(),
    )
    assert demo_load() == logins
    assert Organisation.objects.filter(slug=DEMO_SLUG).count() == 1
    assert (
        Post.objects.count(),
        Policy.objects.count(),
        BadgeAssertion.objects.count(),
        Declaration.objects.count(),
    ) == counts
