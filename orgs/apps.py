from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = "单位与人员"
    audit_actions = {
        "orgs.organisation.created": "创建单位",
        "orgs.user.created": "创建账号",
    }
