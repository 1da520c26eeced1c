from django.apps import AppConfig


class AcceptanceConfig(AppConfig):
    name = "acceptance"
    verbose_name = "评估验收"
    audit_actions = {
        "acceptance.criterion.created": "新增评估要点",
        "acceptance.form.rules_set": "设置评估表评分规则",
        "acceptance.self_rating.set": "填写自评",
        "acceptance.application.submitted": "申请验收",
        "acceptance.inspection.team_set": "组建评估组",
        "acceptance.inspection.reminded": "验收日期提醒",
        "acceptance.inspection.rated": "评估员评分",
        "acceptance.inspection.claim_decided": "确认不适用申报",
        "acceptance.inspection.settled": "确定最终等级",
        "acceptance.inspection.recorded": "记录验收结论",
        "acceptance.notice.objection": "登记公示异议",
        "acceptance.plan.accepted": "验收通过",
        "acceptance.spot_check.opened": "发起市级抽检",
        "acceptance.spot_check.team_set": "调整抽检组",
        "acceptance.spot_check.recorded": "记录抽检结论",
        "acceptance.rectification.assign": "分派整改项",
        "acceptance.rectification.submit": "提交整改",
        "acceptance.rectification.close": "确认整改完成",
        "acceptance.rectification.return": "退回整改项",
        "acceptance.rectification.reminded": "整改项到期提醒",
    }
    # Called by tasks.deadlines.scan_deadlines after the tasks' own scan (tasks sits below us).
    deadline_sources = (
        "acceptance.deadlines.rectification_deadlines",
        "acceptance.deadlines.inspection_deadlines",
    )
    # Sections of 我的待办 (workflows.inbox): inspections for the team, rectification for the school.
    inbox_sources = ("acceptance.inbox",)
