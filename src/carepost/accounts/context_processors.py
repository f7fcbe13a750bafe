from typing import Any

from django.http import HttpRequest

from carepost.accounts.roles import Role


def membership(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "membership", None)
    if current is None or not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"membership": None}
    return {"membership": current or None, "Role": Role}
