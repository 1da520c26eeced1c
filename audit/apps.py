from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "操作记录"

    def ready(self) -> None:
        from audit.maintenance import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="audit.maintenance")
