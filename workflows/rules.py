"""When a stage gate may be signed: declared once, asked by the gate page (to explain a disabled
button) and by workflows.services.stage_complete (to refuse)."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError, InvalidTransition, NotAllowed
from plans.models import Plan, Stage
from workflows.permissions import can_sign_stage

NOT_LEADER = "只有领导小组组长可以签署阶段关口。"
# The longest 签署意见 a signature keeps (refused beyond, never cut).
OPINION_MAX = Stage._meta.get_field("completion_opinion").max_length or 1000


def _state_refusal(stage: Stage, open_tasks: int | None) -> InvalidTransition | None:
    if stage.plan.status not in (Plan.Status.ACTIVE, Plan.Status.RECTIFYING):
        # From the application (请验) on, the plan is the bureau's to judge (acceptance.rules).
        return InvalidTransition(f"方案{stage.plan.get_status_display()}，阶段关口不能再签署。")
    if stage.status == Stage.Status.PENDING:
        return InvalidTransition(f"“{stage.name}”尚未开启：请先完成上一阶段并签署关口。")
    if stage.status == Stage.Status.COMPLETED:
        return InvalidTransition(f"“{stage.name}”的关口已签署（已由他人签署），不能再次签署。")
    if open_tasks:
        return InvalidTransition(f"“{stage.name}”还有 {open_tasks} 项任务未完成（需全部审核通过或由组长豁免），不能签署关口。")
    return None


def gate_refusal(user: Any, stage: Stage, open_tasks: int | None) -> DomainError | NotAllowed | None:
    """Why ``user`` may not sign the gate now, or None. ``open_tasks`` is the number of the stage's
    tasks not closed (None: not counted yet; the service counts under lock after the cheap checks)."""
    if not can_sign_stage(user, stage):
        return NotAllowed(NOT_LEADER)
    return _state_refusal(stage, open_tasks)


def gate_blockers(user: Any, stage: Stage, open_tasks: int) -> list[DomainError | NotAllowed]:
    """Every reason the gate cannot be signed, for the page: the state first, then who may sign."""
    blockers: list[DomainError | NotAllowed] = []
    state = _state_refusal(stage, None)
    if state is not None:
        blockers.append(state)
    counted = _state_refusal(stage, open_tasks) if state is None else None
    if counted is not None:
        blockers.append(counted)
    if stage.status == Stage.Status.OPEN and not can_sign_stage(user, stage):
        blockers.append(NotAllowed(NOT_LEADER))
    return blockers
