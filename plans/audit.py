"""The audit trail: one append-only row per event, written by the service that made the change,
inside its transaction. Human labels for actions live here so pages and exports read alike."""

from __future__ import annotations

from typing import Any

from django.db import models

from plans.models import AuditEntry, Plan

ACTION_LABELS: dict[str, str] = {
    "plans.organisation.created": "创建单位",
    "plans.plan.created": "创建方案",
    "plans.plan.status_changed": "方案状态变更",
    "plans.stage.opened": "阶段开启",
    "plans.stage.completed": "签署阶段关口",
    "plans.seat.added": "加入领导小组",
    "plans.seat.changed": "调整领导小组角色",
    "plans.seat.removed": "移出领导小组",
    "plans.measure.created": "新增措施",
    "plans.indicator.created": "新增指标",
    "plans.indicator.reported": "上报指标",
    "plans.plan.imported": "从 Excel 导入方案",
    "plans.criterion.created": "新增评估要点",
    "plans.template.created": "导入方案模板",
    "plans.template.issued": "下发方案模板",
    "tasks.task.created": "新增任务",
    "tasks.task.assigned": "分派任务",
    "tasks.task.reassigned": "改派任务",
    "tasks.task.started": "开始办理",
    "tasks.task.submitted": "提交审核",
    "tasks.task.closed": "审核通过",
    "tasks.task.returned": "退回任务",
    "tasks.task.reopened": "重新打开",
    "tasks.task.waived": "豁免任务",
    "tasks.task.nudged": "催办",
    "tasks.evidence.added": "上传佐证材料",
    "tasks.comment.added": "发表评论",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    plan: Plan | int | None = None,
    old: str = "",
    new: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit row. The caller must be inside the transaction that makes the change."""
    plan_id = plan.pk if isinstance(plan, Plan) else plan
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        plan_id=plan_id,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        from_state=old or "",
        to_state=new or "",
        reason=reason or "",
        data=data or {},
    )
