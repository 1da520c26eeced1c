"""What apps above acceptance add to its pages without acceptance importing them.

An app offers a badge per plan by setting ``plan_badge`` on its AppConfig: a template to include,
a function ``summaries(user, plan_ids) -> {plan_id: value}`` that leaves out plans the user may
not see, and ``scoped(plans) -> {plan_id: value}`` for plans already scoped by the caller. Pages include the template with ``archive=<value>``: the archive app's completeness
(archives.apps) is the one badge today."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps

from plans.models import Plan


def plan_badges(user: Any, plan_ids: Iterable[int]) -> list[tuple[str, dict[int, Any]]]:
    """For each app that offers a plan badge: its template and the values for ``plan_ids`` (the
    offering app leaves out the plans the user may not see)."""
    ids = list(plan_ids)
    found: list[tuple[str, dict[int, Any]]] = []
    for config in apps.get_app_configs():
        badge = getattr(config, "plan_badge", None)
        if badge:
            template, summaries, _scoped = badge
            found.append((template, summaries(user, ids) if ids else {}))
    return found


def scoped_plan_badges(plans: list[Plan]) -> list[tuple[str, dict[int, Any]]]:
    """The same for plans the caller has already found the user may see (``plans.selectors``
    scoping, e.g. ``plan_for``): spares the offering app scoping them a second time."""
    found: list[tuple[str, dict[int, Any]]] = []
    for config in apps.get_app_configs():
        badge = getattr(config, "plan_badge", None)
        if badge:
            template, _summaries, scoped = badge
            found.append((template, scoped(plans) if plans else {}))
    return found
