"""Per-user API tokens: `Authorization: Bearer cp_...` resolves to one Membership.

A token belongs to one membership, so it acts in exactly one organisation with that
member's roles, and stops working the moment it is revoked or the membership (or the
user) is deactivated. Only the token's SHA-256 is stored; the lookup goes through
`carepost.accounts.selectors.membership_for_api_token`.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from carepost.accounts.models import Membership
from carepost.accounts.selectors import membership_for_api_token
from carepost.accounts.services import api_token_mark_used

TOKEN_PREFIX = "cp_"  # noqa: S105 (the public prefix of every token, not a secret)


class ApiTokenAuth(HttpBearer):
    """Bearer-token auth. Returns the Membership, which ninja puts on `request.auth`."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        membership = membership_for_api_token(secret=token)
        if membership is None:
            return None
        api_token_mark_used(secret=token)
        # The API never uses the session: the token alone says who is acting, and where.
        request.user = membership.user
        request.membership = membership  # type: ignore[attr-defined]
        return membership


def membership_of(request: HttpRequest) -> Membership:
    """The membership the token authenticated (set by ApiTokenAuth)."""
    membership: Membership = request.auth  # type: ignore[attr-defined]
    return membership
