"""The one registry of human labels for audit actions, so pages and exports read alike.

Each app declares the actions it writes on its AppConfig (``audit_actions = {action: label}``);
this module gathers them from the installed apps. A lower app never needs to know a higher one's
actions, and a new feature adds its labels beside its code.
"""

from __future__ import annotations

from functools import cache

from django.apps import apps


@cache
def action_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for config in apps.get_app_configs():
        labels.update(getattr(config, "audit_actions", {}))
    return labels


def action_label(action: str) -> str:
    return action_labels().get(action, action)
