from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import _member

BODY_V1 = """Everyone at Thistle Care follows this policy.

## Your own accounts
Codes: 5.8
Keep your own accounts private. Do not post about work.

## Photos of people we support
Codes: 1.5, 2.3
Only the designated staff post photos, and only with consent.
"""

BODY_V2 = BODY_V1.replace(
    "Keep your own accounts private. Do not post about work.",
    "Keep your own accounts private. Do not post about work.\n"
    "Decline friend requests from people we support and tell your line manager.",
)


@pytest.fixture
def admin(org: Any) -> Any:
    return _member(org, "ada", "org_admin")


@pytest.fixture
def lena(org: Any) -> Any:
    return _member(org, "lena", "line_manager", "worker")


@pytest.fixture
def managed_alice(alice: Any, lena: Any) -> Any:
    alice.line_manager = lena
    alice.save(update_fields=["line_manager"])
    return alice


@pytest.fixture
def other_admin(other_org: Any) -> Any:
    return _member(other_org, "otto", "org_admin")


def make_policy(
    admin: Any,
    *,
    title: str = "Social media",
    slug: str = "social-media",
    body: str = BODY_V1,
    effective_from: date | None = None,
    cycle: int = 12,
    adopted: list[str] | None = None,
) -> Any:
    from carepost.policies.services import VersionInput, policy_create

    return policy_create(
        membership=admin,
        title=title,
        slug=slug,
        review_cycle_months=cycle,
        first_version=VersionInput(
            body=body,
            summary_of_changes="First version.",
            effective_from=effective_from or timezone.localdate() - timedelta(days=1),
            adopted_codes=adopted or [],
        ),
    )


def publish(admin: Any, policy: Any, *, body: str = BODY_V2, reattest: bool = True, on=None) -> Any:
    from carepost.policies.services import VersionInput, policy_version_publish

    latest = policy.versions.order_by("-number").first()
    return policy_version_publish(
        membership=admin,
        policy=policy,
        expected_number=latest.number,
        data=VersionInput(
            body=body,
            summary_of_changes="Friend requests.",
            effective_from=on or timezone.localdate(),
            requires_reattestation=reattest,
        ),
    )


@pytest.fixture
def policy(admin: Any) -> Any:
    return make_policy(admin)
