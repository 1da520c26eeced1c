"""When an action on a task is allowed: one rule per action, asked twice (Wagtail's action classes).
The task page asks ``allowed_task_actions`` to decide which buttons to show; every service asks
``check_task_action`` on the row it has just locked, so the page never offers what the service
would refuse, and neither re-implements the other.

A rule is, in order: who may (a predicate of tasks.permissions), in which stage (open, or not yet
signed off), from which state (the TaskFlow transition must be able to proceed), and any further
state guard. The first that fails is the refusal, as a DomainError fit to show the user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.errors import DomainError, InvalidTransition, NotAllowed
from plans.models import Plan, Stage
from tasks import permissions as perms
from tasks.flows import TaskFlow
from tasks.models import Task

STAGE_OPEN = "open"  # tasks of a stage that has not opened can be planned but not worked
STAGE_LIVE = "live"  # anything but a signed-off stage
STAGE_ANY = "any"
# The plan states in which a school works its tasks; from the application (请验) on the plan is
# read-only (acceptance.rules), and rectification (整改中) reopens it.
WORKING_PLAN_STATUSES = (Plan.Status.ACTIVE, Plan.Status.RECTIFYING)


def _not_waived(task: Task) -> str | None:
    if task.cancelled:
        return "已取消的任务不能重新打开。"
    return "已豁免的任务不能重新打开。" if task.waived else None


def _plan_running(task: Task) -> str | None:
    # Rectification (整改中) is part of the acceptance: what the inspectors saw stays as it was.
    plan = task.measure.stage.plan
    return None if plan.status == Plan.Status.ACTIVE else f"方案{plan.get_status_display()}，不能再取消任务。"


def _has_assignee(task: Task) -> str | None:
    return "该任务没有责任人，请先分派。" if task.assignee_id is None else None


def _not_closed(task: Task) -> str | None:
    return "任务已完成，不能再上传佐证材料。" if task.status == Task.Status.CLOSED else None


def _not_done(task: Task) -> str | None:
    return "已完成、已豁免或已取消的任务不能再编辑。" if task.is_done else None


def _nudgeable(task: Task) -> str | None:
    if task.cancelled:
        return "任务已取消，无需催办。"
    if task.is_done:
        return "任务已完成或已豁免，无需催办。"
    if task.status == Task.Status.SUBMITTED:
        return "任务已提交审核，正等待审核，无需催办责任人。"
    if task.assignee_id is None:
        return "任务尚未分派，无法催办。请先分派责任人。"
    return None


@dataclass(frozen=True)
class TaskRule:
    label: str
    permitted: Callable[[Any, Task], bool]
    refusal: str
    stage: str = STAGE_OPEN
    # The TaskFlow transition this action makes (None: the action moves no state).
    transition: Callable[[Task], str] | None = None
    guards: tuple[Callable[[Task], str | None], ...] = ()


def _fixed(name: str) -> Callable[[Task], str]:
    return lambda task: name


MANAGERS = "只有组长、副组长或办公室主任"

RULES: dict[str, TaskRule] = {
    "assign": TaskRule(
        "分派",
        perms.can_assign_task,
        f"{MANAGERS}可以分派任务。",
        stage=STAGE_LIVE,
        transition=lambda t: "assign" if t.status == Task.Status.UNASSIGNED else "reassign",
    ),
    "start": TaskRule("开始办理", perms.can_work_task, "只有任务责任人可以办理该任务。", transition=_fixed("start")),
    "submit": TaskRule("提交审核", perms.can_work_task, "只有任务责任人可以提交该任务。", transition=_fixed("submit")),
    "close": TaskRule("审核通过", perms.can_review_task, f"{MANAGERS}可以审核任务。", transition=_fixed("close")),
    "return": TaskRule("退回", perms.can_review_task, f"{MANAGERS}可以退回任务。", transition=_fixed("return_")),
    "reopen": TaskRule(
        "重新打开",
        perms.can_reopen_task,
        "只有组长可以重新打开已完成的任务。",
        transition=_fixed("reopen"),
        guards=(_not_waived, _has_assignee),
    ),
    "waive": TaskRule("豁免", perms.can_waive_task, "只有组长可以豁免任务。", transition=_fixed("waive")),
    "cancel": TaskRule(
        "取消",
        perms.can_cancel_task,
        f"{MANAGERS}可以取消任务。",
        stage=STAGE_LIVE,
        transition=_fixed("cancel"),
        guards=(_plan_running,),
    ),
    "evidence": TaskRule(
        "上传佐证材料",
        perms.can_add_evidence,
        "只有任务责任人或领导小组办公室可以上传佐证材料。",
        stage=STAGE_ANY,
        guards=(_not_closed,),
    ),
    "comment": TaskRule("评论", perms.can_comment_task, "只有领导小组成员可以在任务下发表评论。", stage=STAGE_ANY),
    "edit": TaskRule("编辑", perms.can_assign_task, f"{MANAGERS}可以编辑任务。", stage=STAGE_LIVE, guards=(_not_done,)),
    "nudge": TaskRule(
        # Only what can be worked is chased, by hand as by the deadline engine (work_refusal).
        "催办", perms.can_nudge_task, "只有组长、副组长或办公室可以催办任务。", stage=STAGE_OPEN, guards=(_nudgeable,)
    ),
}


def _stage_refusal(task: Task, stage_rule: str) -> str | None:
    # The task's plan is its stage's (the page and the services load it with the task; the
    # services give both the row they locked).
    stage, plan = task.measure.stage, task.plan
    if plan.status not in WORKING_PLAN_STATUSES:
        return f"方案{plan.get_status_display()}，任务不能再变更。"
    if stage_rule != STAGE_ANY and stage.status == Stage.Status.COMPLETED:
        return f"“{stage.name}”已签署完成，其任务不能再变更。"
    if stage_rule == STAGE_OPEN and stage.status == Stage.Status.PENDING:
        return f"“{stage.name}”尚未开启，本阶段任务暂不能办理。"
    return None


def work_refusal(task: Task) -> str | None:
    """Why nobody can work ``task`` now (its plan is not in a working state, or its stage has not
    opened or is signed off), or None. The task page's "暂不能办理" and the deadline engine's test
    of what it may chase: a task nobody can work is neither reminded nor escalated.

    The task must come with its measure, stage and plan loaded."""
    return _stage_refusal(task, STAGE_OPEN)


def task_action_refusal(user: Any, task: Task, action: str) -> DomainError | NotAllowed | None:
    """Why ``user`` may not do ``action`` on ``task`` now, or None when they may.

    The task must come with its plan, measure and stage loaded (services pass the rows they locked).
    """
    rule = RULES[action]
    if not rule.permitted(user, task):
        return NotAllowed(rule.refusal)
    message = _stage_refusal(task, rule.stage)
    if message:
        return InvalidTransition(message)
    if rule.transition is not None and not getattr(TaskFlow(task), rule.transition(task)).can_proceed():
        shown = task.state_label
        return InvalidTransition(f"任务当前状态为“{shown}”，不能执行“{rule.label}”。")
    for guard in rule.guards:
        message = guard(task)
        if message:
            return InvalidTransition(message)
    return None


def check_task_action(user: Any, task: Task, action: str) -> None:
    """Raise the refusal of ``task_action_refusal``, if any: how services enforce a rule."""
    refusal = task_action_refusal(user, task, action)
    if refusal is not None:
        raise refusal


def allowed_task_actions(user: Any, task: Task) -> set[str]:
    """The actions to offer ``user`` on ``task`` now (the page's buttons)."""
    return {action for action in RULES if task_action_refusal(user, task, action) is None}
