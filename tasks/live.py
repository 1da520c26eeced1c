"""Task versions for open pages (notifications.live): a task page compares the version it rendered
with the current one and offers a refresh instead of actions on a stale state."""

from __future__ import annotations

from typing import Any

from tasks.models import Task
from tasks.selectors import visible_tasks


def task_display(task: Task) -> str:
    """The status a task shows (the words of tasks.templatetags.task_badges)."""
    if task.cancelled:
        return "已取消"
    if task.waived:
        return "已豁免"
    return str(task.get_status_display())


def task_versions(user: Any, ids: list[int]) -> dict[int, dict[str, str]]:
    """``{id: {"version", "label"}}`` for the tasks among ``ids`` the user may see; one query."""
    rows = visible_tasks(user).filter(pk__in=ids).only("pk", "version", "status", "cancelled", "waived")
    return {task.pk: {"version": str(task.version), "label": task_display(task)} for task in rows}
