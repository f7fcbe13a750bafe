"""Extension points so each module can add to the shared pages without editing them.

An app registers, in its AppConfig.ready():
- navigation links: `nav_item(label, url_name, roles)`; shown to members holding any
  of `roles` (empty: every member);
- home-page panels: `home_panel(fn)`, where `fn(request, membership)` returns the
  rendered HTML of a panel, or "" when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import reverse

if TYPE_CHECKING:
    from carepost.accounts.models import Membership


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]
    order: int


_nav: list[NavItem] = []
_panels: list[Callable[[HttpRequest, Membership], str]] = []


def nav_item(label: str, url_name: str, roles: Iterable[str] = (), order: int = 50) -> None:
    if any(item.url_name == url_name for item in _nav):
        return
    _nav.append(NavItem(label, url_name, frozenset(roles), order))
    _nav.sort(key=lambda i: i.order)


def home_panel(fn: Callable[[HttpRequest, Membership], str]) -> None:
    if fn not in _panels:
        _panels.append(fn)


def nav_for(membership: Membership, current_path: str) -> list[dict[str, object]]:
    items = []
    for item in _nav:
        if item.roles and not membership.has_role(*item.roles):
            continue
        url = reverse(item.url_name)
        current = current_path == url or (url != "/" and current_path.startswith(url))
        items.append({"label": item.label, "url": url, "current": current})
    return items


def panels_for(request: HttpRequest, membership: Membership) -> list[str]:
    return [html for fn in _panels if (html := fn(request, membership))]
