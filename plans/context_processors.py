"""Values every page's header needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from plans.permissions import is_overseer


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_is_overseer": is_overseer(user), "nav_organisation": user.organisation}
