from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "登录与会话"
    audit_actions = {
        "accounts.sessions.ended": "结束其他登录会话",
    }

    def ready(self) -> None:
        from accounts import signals

        signals.connect()
