from django.apps import AppConfig

from core import sqlmemo


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "实施方案"
    # Labels of every "plans.*" audit action, whichever app writes it (audit.labels).
    audit_actions = {
        "plans.plan.created": "创建方案",
        "plans.plan.status_changed": "方案状态变更",
        "plans.plan.imported": "从 Excel 导入方案",
        "plans.plan.updated": "修改方案",
        "plans.plan.dates_shifted": "整体调整方案日期",
        "plans.stage.window_changed": "修改阶段时间",
        "plans.stage.added": "新增阶段",
        "plans.measure.updated": "修改措施",
        "plans.measure.cancelled": "取消措施",
        "plans.stage.opened": "阶段开启",
        "plans.stage.completed": "签署阶段关口",
        "plans.seat.added": "加入领导小组",
        "plans.seat.changed": "调整领导小组角色",
        "plans.seat.removed": "移出领导小组",
        "plans.working_group.created": "新增专业工作组",
        "plans.leading_group.copied": "复制领导小组",
        "plans.measure.created": "新增措施",
        "plans.indicator.created": "新增指标",
        "plans.indicator.reported": "上报指标",
        "plans.indicator.voided": "作废指标读数",
        "plans.template.created": "导入方案模板",
        "plans.template.issued": "下发方案模板",
        "plans.template.dates_shifted": "整体调整模板日期",
    }

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Compiled scope queries name content-type ids: a flushed or re-migrated database may
        # number them anew.
        post_migrate.connect(_forget_compiled_sql, dispatch_uid="plans.forget_compiled_sql")


def _forget_compiled_sql(**kwargs: object) -> None:
    sqlmemo.forget()
