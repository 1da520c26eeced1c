from django.apps import AppConfig


class AcceptanceConfig(AppConfig):
    name = "acceptance"
    verbose_name = "评估验收"
    audit_actions = {
        "acceptance.criterion.created": "新增评估要点",
    }
