from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "登录与会话"
    audit_actions = {
        "accounts.sessions.ended": "结束其他登录会话",
        "accounts.two_factor.enabled": "启用两步验证",
        "accounts.two_factor.recovery_renewed": "重新生成恢复码",
        "accounts.two_factor.recovery_used": "使用恢复码登录",
    }

    def ready(self) -> None:
        from accounts import signals

        signals.connect()
