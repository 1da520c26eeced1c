"""Values every page's header needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.uploads import ACCEPT, ALLOWED_LABEL
from orgs.permissions import administered_centre, can_administer, is_overseer
from workflows.inbox import contributed_count
from workflows.selectors import inbox_counts


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
    # Lazy: counted only when a page's header shows it (not for fragments or JSON-ish partials).
    if not overseer:
        context["nav_inbox_count"] = SimpleLazyObject(lambda: inbox_counts(user))
    else:
        # Bureau and centre staff have no tasks or gates; an inspector's inspections wait for them
        # in 我的待办 (workflows.inbox): one query, and the link shows only when something waits.
        context["nav_inbox_count"] = SimpleLazyObject(lambda: contributed_count(user))
    return context
