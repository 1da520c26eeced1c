from django.apps import AppConfig


class AcceptanceConfig(AppConfig):
    name = "acceptance"
    verbose_name = "评估验收"
    audit_actions = {
        "acceptance.criterion.created": "新增评估要点",
        "acceptance.form.rules_set": "设置评估表评分规则",
        "acceptance.self_rating.set": "填写自评",
        "acceptance.application.submitted": "申请验收",
    }
