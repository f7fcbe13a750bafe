from typing import Any

from django.http import HttpRequest

from carepost.accounts.roles import Role


def membership(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "membership", None)
    if current is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"membership": None}
    from carepost.common.registry import nav_for

    if not current:
        return {"membership": None}
    return {"membership": current, "Role": Role, "nav_items": nav_for(current, request.path)}
