"""Values every page's header needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from orgs.permissions import administered_centre, can_administer, is_overseer
from workflows.selectors import inbox_counts


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    overseer = is_overseer(user)
    context = {"nav_is_overseer": overseer, "nav_organisation": user.organisation}
    context["nav_manages_people"] = can_administer(user) or administered_centre(user) is not None
    if not overseer:
        # Lazy: counted only when a page's header shows it (not for fragments or JSON-ish partials).
        context["nav_inbox_count"] = SimpleLazyObject(lambda: inbox_counts(user))
    return context
