"""What apps above acceptance add to its pages without acceptance importing them.

An app offers a badge per plan by setting ``plan_badge`` on its AppConfig: a template to include
and a function ``summaries(user, plan_ids) -> {plan_id: value}`` that leaves out plans the user may
not see. Pages include the template with ``archive=<value>``: the archive app's completeness
(archives.apps) is the one badge today."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps


def plan_badges(user: Any, plan_ids: Iterable[int]) -> list[tuple[str, dict[int, Any]]]:
    """For each app that offers a plan badge: its template and the values for ``plan_ids``."""
    ids = list(plan_ids)
    found: list[tuple[str, dict[int, Any]]] = []
    for config in apps.get_app_configs():
        badge = getattr(config, "plan_badge", None)
        if badge:
            template, summaries = badge
            found.append((template, summaries(user, ids) if ids else {}))
    return found
