"""The boundaries panel on the home page: plans to read, check-ups due, and for line
managers what is waiting for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.template.loader import render_to_string

from carepost.boundaries import selectors

if TYPE_CHECKING:
    from carepost.accounts.models import Membership


def boundaries_panel(request: HttpRequest, membership: Membership) -> str:
    if not membership.has_role(*selectors.STAFF_ROLES):
        return ""
    summary = selectors.home_summary(membership=membership)
    if not summary.anything:
        return ""
    return render_to_string("boundaries/panel.html", {"summary": summary}, request=request)
