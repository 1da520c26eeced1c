"""The plan's status as a viewflow.fsm state machine: the one writer of ``Plan.status``.

    实施中 ──apply (请验)──▶ 验收中 ──fail (不合格)──▶ 整改中 ──apply (复验)──▶ 验收中
                              │
                              └──accept (公示期满)──▶ 已验收 (COMPLETED, frozen)
                                                            │
    已验收 ──spot_fail (市级抽检不合格)──▶ 整改中 ──apply (复验)──▶ 验收中 …

A spot check that passes leaves the plan 已验收: it is no move at all.

The flow only says which moves are legal; acceptance.services owns everything around a move (row
lock, permission, state guard, audit, notifications). viewflow.fsm does not check a transition's
permission on call, so none is declared here on purpose. Rectification items have a small flow of
their own (not the task lifecycle: their work happens after the stages were signed off, against a
criterion rather than a measure, and the bureau reads them).
"""

from __future__ import annotations

from viewflow import fsm

from acceptance.models import RectificationItem
from plans.models import Plan

S = Plan.Status


class PlanFlow:
    status = fsm.State(S, default=S.ACTIVE)

    def __init__(self, plan: Plan):
        self.plan = plan

    @status.getter()
    def _get_status(self) -> str:
        return self.plan.status

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.plan.status = value

    @status.transition(source=[S.ACTIVE, S.RECTIFYING], target=S.ACCEPTANCE, label="申请验收")
    def apply(self) -> None:
        """The leader signs the application (请验, or 复验 after rectification)."""

    @status.transition(source=S.ACCEPTANCE, target=S.RECTIFYING, label="验收不合格")
    def fail(self) -> None:
        """The inspection team recorded 不合格: the school rectifies."""

    @status.transition(source=S.ACCEPTANCE, target=S.COMPLETED, label="验收合格")
    def accept(self) -> None:
        """The public notice of a 合格 result ended: the plan is accepted and frozen."""

    @status.transition(source=S.COMPLETED, target=S.RECTIFYING, label="抽检不合格")
    def spot_fail(self) -> None:
        """The city's spot check (抽检) of the accepted plan recorded 不合格: the school rectifies
        and applies for 复验 again; the freeze of an accepted plan (and of its archive) lifts."""


RS = RectificationItem.Status


class RectificationFlow:
    """A rectification item's small lifecycle: 待分派 ──assign──▶ 整改中 ──submit──▶ 待审核
    ──close──▶ 已完成, or ──return──▶ 整改中. Reassigning keeps it 整改中."""

    status = fsm.State(RS, default=RS.OPEN)

    def __init__(self, item: RectificationItem):
        self.item = item

    @status.getter()
    def _get_status(self) -> str:
        return self.item.status

    @status.setter()
    def _set_status(self, value: str) -> None:
        self.item.status = value

    @status.transition(source=[RS.OPEN, RS.ASSIGNED], target=RS.ASSIGNED, label="分派")
    def assign(self) -> None:
        """The office gives the item to an owner with a due date."""

    @status.transition(source=RS.ASSIGNED, target=RS.SUBMITTED, label="提交整改")
    def submit(self) -> None:
        """The owner hands in the rectification with evidence."""

    @status.transition(source=RS.SUBMITTED, target=RS.CLOSED, label="确认完成")
    def close(self) -> None:
        """The office accepts the rectification."""

    @status.transition(source=RS.SUBMITTED, target=RS.ASSIGNED, label="退回")
    def return_(self) -> None:
        """The office sends it back with a reason."""
