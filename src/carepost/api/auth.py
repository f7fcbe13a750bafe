"""Per-user API tokens: `Authorization: Bearer cp_...` resolves to one Membership.

A token belongs to one membership, so it acts in exactly one organisation with that
member's roles, and stops working the moment it is revoked or the membership (or the
user) is deactivated. Only the token's SHA-256 is stored; the lookup goes through
`carepost.accounts.selectors.membership_for_api_token`.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from carepost.accounts.models import ApiToken, Membership
from carepost.accounts.selectors import membership_for_api_token

TOKEN_PREFIX = "cp_"  # noqa: S105 (the public prefix of every token, not a secret)
# Recording every single use would turn each API read into a write; once a minute
# is precise enough for "is this token still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _token_mark_used(*, secret: str) -> None:
    """Bookkeeping, not a state change: a conditional UPDATE at most once a minute.

    Not audited on purpose (it would add an audit row per minute per client). This
    belongs in `carepost.accounts.services` as `api_token_mark_used`; see docs/api.md.
    """
    now = timezone.now()
    ApiToken.objects.filter(key_hash=ApiToken.hash_secret(secret), revoked_at__isnull=True).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)


class ApiTokenAuth(HttpBearer):
    """Bearer-token auth. Returns the Membership, which ninja puts on `request.auth`."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        membership = membership_for_api_token(secret=token)
        if membership is None:
            return None
        _token_mark_used(secret=token)
        # The API never uses the session: the token alone says who is acting, and where.
        request.user = membership.user
        request.membership = membership  # type: ignore[attr-defined]
        return membership


def membership_of(request: HttpRequest) -> Membership:
    """The membership the token authenticated (set by ApiTokenAuth)."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return membership
