from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = "单位与人员"
    audit_actions = {
        "orgs.organisation.created": "创建单位",
        "orgs.organisation.updated": "修改单位",
        "orgs.user.created": "创建账号",
        "orgs.user.updated": "修改账号",
        "orgs.user.disabled": "停用账号",
        "orgs.user.enabled": "启用账号",
        "orgs.user.password_reset": "重置密码",
        "orgs.user.unlocked": "解除登录锁定",
        "orgs.user.password_changed": "修改密码",
        "orgs.user.profile_updated": "修改个人资料",
    }
