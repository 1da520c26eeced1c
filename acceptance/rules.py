"""When an acceptance action is allowed: declared once, asked by the pages (to show or explain a
disabled button) and by acceptance.services (to refuse), so neither re-implements the other."""

from __future__ import annotations

from typing import Any

from acceptance.permissions import can_apply_for_acceptance, can_self_assess, can_set_form_rules
from acceptance.scoring import Result
from core.errors import DomainError, InvalidTransition, NotAllowed
from plans.models import Plan

# The school works on its plan (tasks, self-assessment) only in these states; from the application
# on the plan is read-only for the school (验收中), and after acceptance for everyone (已完成).
SCHOOL_EDITABLE = (Plan.Status.ACTIVE, Plan.Status.RECTIFYING)
FROZEN_MESSAGE: dict[str, str] = {
    Plan.Status.ACCEPTANCE: "方案已申请验收（验收中），学校不能再修改。",
    Plan.Status.COMPLETED: "方案已通过验收并归档，不能再修改。",
}


def plan_state_refusal(plan: Plan) -> InvalidTransition | None:
    """Why the school may not change the plan in its current state, or None."""
    if plan.status in SCHOOL_EDITABLE:
        return None
    return InvalidTransition(FROZEN_MESSAGE.get(plan.status, "方案当前状态不允许修改。"))


def self_assess_refusal(user: Any, plan: Plan) -> DomainError | NotAllowed | None:
    """May ``user`` rate the plan's criteria now?"""
    if not can_self_assess(user, plan):
        return NotAllowed("只有组长、副组长或办公室主任可以填写自评。")
    return plan_state_refusal(plan)


def form_rules_refusal(user: Any, plan: Plan) -> DomainError | NotAllowed | None:
    """May ``user`` change the form's tier fractions and pass rule now? Not once the school applied."""
    if not can_set_form_rules(user, plan):
        return NotAllowed("只有教育局管理员可以设置评估表的评分规则。")
    if plan.status != Plan.Status.ACTIVE:
        return InvalidTransition("方案已进入验收，评分规则不能再修改。")
    return None


def application_blockers(
    user: Any,
    plan: Plan,
    unsigned: int | None,
    open_tasks: int | None,
    result: Result | None,
    open_items: int | None = None,
) -> list[DomainError | NotAllowed]:
    """Every reason the leader may not apply for acceptance now, the first one being the refusal.

    ``unsigned``: gates before the acceptance (last) stage not yet signed; ``open_tasks``: tasks of
    the acceptance stage not closed (None: not counted yet); ``result``: the self-assessment scored
    (None: not scored yet); ``open_items``: rectification items not closed (for 复验).
    """
    blockers: list[DomainError | NotAllowed] = []
    if not can_apply_for_acceptance(user, plan):
        blockers.append(NotAllowed("只有领导小组组长可以申请验收。"))
    if plan.status not in SCHOOL_EDITABLE:
        blockers.append(InvalidTransition(f"方案当前为“{plan.get_status_display()}”，不能申请验收（可能已由他人提交）。"))
        return blockers
    if open_items:
        blockers.append(InvalidTransition(f"还有 {open_items} 项整改未完成，不能申请复验。"))
    if unsigned:
        blockers.append(InvalidTransition(f"还有 {unsigned} 个阶段关口未签署，请先完成前面的阶段。"))
    if open_tasks:
        blockers.append(InvalidTransition(f"验收阶段还有 {open_tasks} 项任务未完成，不能申请验收。"))
    if result is not None:
        if result.applicable == 0:
            blockers.append(InvalidTransition("评估表没有适用的评估要点，不能申请验收。"))
        elif result.unrated:
            blockers.append(InvalidTransition(f"自评尚未完成：还有 {result.unrated} 项未评定。"))
        elif not result.passed:
            detail = "".join(result.shortfalls)
            blockers.append(InvalidTransition(f"自评未达到合格标准，不能申请验收：{detail}"))
    return blockers
