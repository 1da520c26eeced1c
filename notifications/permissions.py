"""Permission predicates for notifications, reminders and live subscriptions."""

from __future__ import annotations

from typing import Any

from plans.permissions import can_manage_plan_tasks


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_nudge_task(user: Any, task: Any) -> bool:
    """Leader, deputy and office of the task's plan may 催办 by hand."""
    return _active(user) and can_manage_plan_tasks(user, task.plan)


def can_watch_organisation(user: Any, org_id: int) -> bool:
    """Only one's own organisation: its group hears about every plan that organisation may see."""
    return _active(user) and user.organisation_id is not None and user.organisation_id == org_id
