"""The audit trail and its checkpoints refuse UPDATE, DELETE and TRUNCATE in the database itself.

PostgreSQL: BEFORE UPDATE / DELETE row triggers and a BEFORE TRUNCATE statement trigger, ENABLE
ALWAYS (so ``session_replication_role = replica`` does not skip them). SQLite: RAISE(ABORT).

Deletes (never updates) pass only inside ``audit.maintenance.audit_deletes_allowed`` (a session
setting on PostgreSQL, a connection function on SQLite), used by the test suite's database flush and
the benchmarks' cleanup of their own synthetic rows; those deletions break the chain on purpose and
``verify_audit`` reports them. See audit/maintenance.py.
"""

from typing import Any

from django.db import migrations

TABLES = ("audit_auditentry", "audit_auditcheckpoint")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION planhub_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND current_setting('planhub.audit_maintenance', true) = 'on' THEN
        IF TG_LEVEL = 'ROW' THEN RETURN OLD; END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _pg(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION planhub_audit_append_only()",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION planhub_audit_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION planhub_audit_append_only()",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_update",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_delete",
        f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate",
    ]


def _sqlite(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN NOT planhub_audit_maintenance() "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements: list[str] = []
    if vendor == "postgresql":
        statements.append(PG_FUNCTION)
        for table in TABLES:
            statements += _pg(table)
    elif vendor == "sqlite":
        for table in TABLES:
            statements += _sqlite(table)
    for sql in statements:
        schema_editor.execute(sql, params=None)  # the PL/pgSQL body has literal % signs


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        kinds = ("update", "delete", "truncate") if vendor == "postgresql" else ("update", "delete")
        for kind in kinds:
            on = f" ON {table}" if vendor == "postgresql" else ""
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}{on}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS planhub_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_existing")]
    operations = [migrations.RunPython(forwards, backwards)]
