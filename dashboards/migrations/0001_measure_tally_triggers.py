"""Per-measure task tallies kept by triggers on tasks_task, and a partial index on open tasks by due
date (the dashboards' overdue counts): a city-wide dashboard reads one row per measure and the
overdue tasks only, instead of every task of every plan.

The triggers and the index are plain SQL for each database (PostgreSQL, SQLite); Django's model
state knows only the table. Written for the columns of tasks 0004.
"""

from django.db import migrations, models

DONE = "(t.status = 'closed' OR t.waived)"

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION dashboards_measure_tally() RETURNS trigger AS $$
    BEGIN
        -- Most transitions (assign, start, submit, return) change no tally: leave the measure's
        -- row alone, so that they neither write it nor wait for its lock.
        IF TG_OP = 'UPDATE' AND NEW.measure_id = OLD.measure_id AND NEW.cancelled = OLD.cancelled
           AND NEW.weight = OLD.weight
           AND (NEW.status = 'closed' OR NEW.waived) = (OLD.status = 'closed' OR OLD.waived) THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.cancelled THEN
            UPDATE dashboards_measuretally SET
                n = n - 1,
                n_done = n_done - CASE WHEN OLD.status = 'closed' OR OLD.waived THEN 1 ELSE 0 END,
                w = w - OLD.weight,
                w_done = w_done - CASE WHEN OLD.status = 'closed' OR OLD.waived THEN OLD.weight ELSE 0 END
            WHERE measure_id = OLD.measure_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.cancelled THEN
            INSERT INTO dashboards_measuretally AS mt (measure_id, n, n_done, w, w_done)
            VALUES (NEW.measure_id, 1,
                    CASE WHEN NEW.status = 'closed' OR NEW.waived THEN 1 ELSE 0 END,
                    NEW.weight,
                    CASE WHEN NEW.status = 'closed' OR NEW.waived THEN NEW.weight ELSE 0 END)
            ON CONFLICT (measure_id) DO UPDATE SET
                n = mt.n + EXCLUDED.n, n_done = mt.n_done + EXCLUDED.n_done,
                w = mt.w + EXCLUDED.w, w_done = mt.w_done + EXCLUDED.w_done;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER dashboards_measure_tally AFTER INSERT OR UPDATE OR DELETE ON tasks_task
    FOR EACH ROW EXECUTE FUNCTION dashboards_measure_tally()
    """,
    """
    CREATE INDEX dashboards_task_open_due ON tasks_task (plan_id, due_on) INCLUDE (measure_id)
    WHERE NOT cancelled AND NOT waived AND status <> 'closed'
    """,
]

POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS dashboards_task_open_due",
    "DROP TRIGGER IF EXISTS dashboards_measure_tally ON tasks_task",
    "DROP FUNCTION IF EXISTS dashboards_measure_tally()",
]

# SQLite keeps decimals as floating point: the running sums are rounded to the weights' two places
# at every step, or 0.1 + 0.2 + 0.3 would leave a measure at 99.99… % for ever.
_SQLITE_DEC = """
    UPDATE dashboards_measuretally SET
        n = n - 1,
        n_done = n_done - (CASE WHEN OLD.status = 'closed' OR OLD.waived THEN 1 ELSE 0 END),
        w = ROUND(w - OLD.weight, 2),
        w_done = ROUND(w_done - (CASE WHEN OLD.status = 'closed' OR OLD.waived THEN OLD.weight ELSE 0 END), 2)
    WHERE measure_id = OLD.measure_id AND NOT OLD.cancelled;
"""
_SQLITE_INC = """
    INSERT INTO dashboards_measuretally (measure_id, n, n_done, w, w_done)
    SELECT NEW.measure_id, 1,
           CASE WHEN NEW.status = 'closed' OR NEW.waived THEN 1 ELSE 0 END,
           NEW.weight,
           CASE WHEN NEW.status = 'closed' OR NEW.waived THEN NEW.weight ELSE 0 END
    WHERE NOT NEW.cancelled
    ON CONFLICT (measure_id) DO UPDATE SET
        n = n + excluded.n, n_done = n_done + excluded.n_done,
        w = ROUND(w + excluded.w, 2), w_done = ROUND(w_done + excluded.w_done, 2);
"""
SQLITE = [
    f"CREATE TRIGGER dashboards_measure_tally_insert AFTER INSERT ON tasks_task BEGIN {_SQLITE_INC} END",
    f"CREATE TRIGGER dashboards_measure_tally_delete AFTER DELETE ON tasks_task BEGIN {_SQLITE_DEC} END",
    "CREATE TRIGGER dashboards_measure_tally_update AFTER UPDATE OF measure_id, status, waived, cancelled, weight"
    " ON tasks_task WHEN OLD.measure_id IS NOT NEW.measure_id OR OLD.cancelled IS NOT NEW.cancelled"
    " OR OLD.weight IS NOT NEW.weight"
    " OR (OLD.status = 'closed' OR OLD.waived) IS NOT (NEW.status = 'closed' OR NEW.waived)"
    f" BEGIN {_SQLITE_DEC} {_SQLITE_INC} END",
    """
    CREATE INDEX dashboards_task_open_due ON tasks_task (plan_id, due_on, measure_id)
    WHERE NOT cancelled AND NOT waived AND status <> 'closed'
    """,
]

SQLITE_REVERSE = [
    "DROP INDEX IF EXISTS dashboards_task_open_due",
    "DROP TRIGGER IF EXISTS dashboards_measure_tally_insert",
    "DROP TRIGGER IF EXISTS dashboards_measure_tally_delete",
    "DROP TRIGGER IF EXISTS dashboards_measure_tally_update",
]

BACKFILL = f"""
    INSERT INTO dashboards_measuretally (measure_id, n, n_done, w, w_done)
    SELECT t.measure_id, COUNT(*), SUM(CASE WHEN {DONE} THEN 1 ELSE 0 END), SUM(t.weight),
           SUM(CASE WHEN {DONE} THEN t.weight ELSE 0 END)
    FROM tasks_task t WHERE NOT t.cancelled GROUP BY t.measure_id
"""


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        chosen = statements.get(vendor)
        if chosen is None:
            raise RuntimeError(f"dashboards tallies: no triggers written for {vendor}")
        for sql in chosen:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0004_comment_withdrawn"),
    ]

    operations = [
        migrations.CreateModel(
            name="MeasureTally",
            fields=[
                ("measure_id", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="措施")),
                ("n", models.IntegerField(default=0, verbose_name="任务数")),
                ("n_done", models.IntegerField(default=0, verbose_name="已完成任务数")),
                ("w", models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name="权重合计")),
                (
                    "w_done",
                    models.DecimalField(decimal_places=2, default=0, max_digits=14, verbose_name="已完成权重合计"),
                ),
            ],
            options={"verbose_name": "措施任务汇总", "verbose_name_plural": "措施任务汇总"},
        ),
        migrations.RunPython(
            _run({"postgresql": [*POSTGRES, BACKFILL], "sqlite": [*SQLITE, BACKFILL]}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
