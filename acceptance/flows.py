"""The plan's status as a viewflow.fsm state machine: the one writer of ``Plan.status``.

    实施中 ──apply (请验)──▶ 验收中 ──fail (不合格)──▶ 整改中 ──apply (复验)──▶ 验收中
                              │
                              └──accept (公示期满)──▶ 已完成 (已验收, frozen)

The flow only says which moves are legal; acceptance.services owns everything around a move (row
lock, permission, state guard, audit, notifications). viewflow.fsm does not check a transition's
permission on call, so none is declared here on purpose.
"""

from __future__ import annotations

from viewflow import fsm

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
