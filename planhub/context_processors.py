"""Values every page's header needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.uploads import ACCEPT, ALLOWED_LABEL
from notifications.selectors import inbox_state
from orgs.permissions import administered_centre, can_administer, is_overseer
from workflows.selectors import header_inbox_count


def uploads(request: HttpRequest) -> dict[str, Any]:
    """The evidence types of core.uploads, for every upload form's accept="" and hint."""
    return {"upload_accept": ACCEPT, "upload_types": ALLOWED_LABEL}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    overseer = is_overseer(user)
    context = {"nav_is_overseer": overseer, "nav_organisation": user.organisation}
    context["nav_manages_people"] = can_administer(user) or administered_centre(user) is not None
    # Lazy: counted only when a page's header shows it (not for fragments or JSON-ish partials);
    # 我的待办 passes its own, counted from what it lists (workflows.selectors).
    context["nav_inbox_count"] = SimpleLazyObject(lambda: header_inbox_count(user))
    # The bell's badge, rendered with the page: live.js no longer reads the feed on every load,
    # and its socket's catch_up compares this with the database (notifications.consumers).
    context["nav_notifications"] = SimpleLazyObject(lambda: inbox_state(user))
    return context
