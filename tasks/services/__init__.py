"""Writes for tasks: creation and every lifecycle transition, evidence and comments.

Each transition service re-reads the task under a row lock, checks the actor's permission
(tasks.rules), guards the state (tasks.flows.TaskFlow plus the stage and the version the
caller saw), writes the audit row and the notification rows in the same transaction, and leaves
the websocket push to after commit.
"""

from tasks.services.cancelling import measure_cancel, task_cancel
from tasks.services.creation import NewTask, task_assign, task_create, tasks_assign_bulk, tasks_create_bulk
from tasks.services.discussion import comment_add, comment_withdraw, evidence_add
from tasks.services.editing import (
    DateShift,
    plan_dates_shift,
    plan_dates_shift_preview,
    plan_earliest_date,
    task_update,
)
from tasks.services.lifecycle import task_close, task_reopen, task_return, task_start, task_submit, task_waive

__all__ = [
    "DateShift",
    "plan_dates_shift",
    "plan_dates_shift_preview",
    "plan_earliest_date",
    "task_update",
    "measure_cancel",
    "task_cancel",
    "NewTask",
    "comment_add",
    "comment_withdraw",
    "evidence_add",
    "task_assign",
    "task_close",
    "task_create",
    "task_reopen",
    "task_return",
    "task_start",
    "task_submit",
    "task_waive",
    "tasks_assign_bulk",
    "tasks_create_bulk",
]
