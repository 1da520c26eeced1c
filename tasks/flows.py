"""The task lifecycle as a viewflow.fsm state machine.

The flow only says which state moves are legal; tasks.services owns everything around a move
(row lock, permission, stage guard, audit, notifications). viewflow.fsm does not check a
transition's permission on call, so no permission is declared here on purpose.

    待分派 ──assign──▶ 待办 ──start──▶ 进行中 ──submit──▶ 待审核 ──close──▶ 已完成
                       ▲  ╲___________________submit______▲  │                 │
                       │                                  │  return           reopen (组长)
                       └──reassign── 待办/进行中/已退回     │  ▼                 ▼
                                                      已退回 ◀────────────────┘
    waive (组长): any open state ──▶ 已完成 with waived=True
    cancel (组长/副组长/办公室, plan 实施中): any open state ──▶ 已完成 with cancelled=True
"""

from __future__ import annotations

from viewflow import fsm

from tasks.models import Task

S = Task.Status


class TaskFlow:
    status = fsm.State(S, default=S.UNASSIGNED)

    def __init__(self, task: Task):
        self.task = task

    @status.getter()
    def _get_status(self) -> str:
        return self.task.status

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.task.status = value

    @status.transition(source=S.UNASSIGNED, target=S.ASSIGNED, label="分派")
    def assign(self) -> None:
        """Give an unassigned task to someone."""

    @status.transition(source=[S.ASSIGNED, S.IN_PROGRESS, S.RETURNED], target=S.ASSIGNED, label="改派")
    def reassign(self) -> None:
        """Give the task to someone else; the new assignee starts afresh."""

    @status.transition(source=[S.ASSIGNED, S.RETURNED], target=S.IN_PROGRESS, label="开始办理")
    def start(self) -> None:
        """The assignee begins work."""

    @status.transition(source=[S.ASSIGNED, S.IN_PROGRESS, S.RETURNED], target=S.SUBMITTED, label="提交审核")
    def submit(self) -> None:
        """The assignee hands the work in for review."""

    @status.transition(source=S.SUBMITTED, target=S.CLOSED, label="审核通过")
    def close(self) -> None:
        """A reviewer accepts the work."""

    @status.transition(source=S.SUBMITTED, target=S.RETURNED, label="退回")
    def return_(self) -> None:
        """A reviewer sends the work back with a reason."""

    @status.transition(source=S.CLOSED, target=S.RETURNED, label="重新打开")
    def reopen(self) -> None:
        """The leader reopens a closed task with a reason."""

    @status.transition(
        source=[S.UNASSIGNED, S.ASSIGNED, S.IN_PROGRESS, S.SUBMITTED, S.RETURNED], target=S.CLOSED, label="豁免"
    )
    def waive(self) -> None:
        """The leader exempts the task with a written reason; it counts as done."""

    @status.transition(
        source=[S.UNASSIGNED, S.ASSIGNED, S.IN_PROGRESS, S.SUBMITTED, S.RETURNED], target=S.CLOSED, label="取消"
    )
    def cancel(self) -> None:
        """The task is dropped with a written reason; it counts neither as done nor as due."""
