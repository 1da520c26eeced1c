"""Per-stage tallies (dashboards.StageTally): a stage's measures folded by their own date window, kept
by triggers on ``plans_measure`` (a measure added, moved, re-weighted, re-dated, cancelled, deleted)
and on the tasks (their counts changed). A city-wide dashboard then sums a few rows per stage
instead of one per measure.

A measure's contribution: 1 measure; 1 unfinished unless its tasks are all done (by weight, or by
count when they weigh nothing); its task counts; its weight; weight × percent and percent, the
percent rounded to 9 places first so that taking a contribution away undoes adding it exactly.

PostgreSQL: 0001's row trigger on tasks_task is replaced by statement-level triggers that update
the measure and the stage tallies once per statement (``_pg_task_tallies``); measures keep a row
trigger (plpgsql). SQLite (one writer at a time, rows updated in place): row triggers on
``dashboards_measuretally`` and ``plans_measure``, the same arithmetic inline, running sums
rounded to the same places.
"""

from django.db import migrations, models

ST = "dashboards_stagetally"


def _pct(t: str) -> str:
    return (
        f"ROUND(CASE WHEN {t}.w > 0 THEN 100.0 * {t}.w_done / {t}.w"
        f" WHEN {t}.n > 0 THEN 100.0 * {t}.n_done / {t}.n ELSE 0 END, 9)"
    )


def _unfinished(t: str) -> str:
    # Exact comparisons, not the rounded percent: 99.9999999999 % is not done.
    return (
        f"(CASE WHEN ({t}.w > 0 AND {t}.w_done >= {t}.w)"
        f" OR ({t}.w <= 0 AND {t}.n > 0 AND {t}.n_done >= {t}.n) THEN 0 ELSE 1 END)"
    )


# --- PostgreSQL --------------------------------------------------------------------------------

# The few cancelled measures, for the overdue counts' anti-join (rollups._plan_overdue).
CANCELLED_INDEX = "CREATE INDEX dashboards_measure_cancelled ON plans_measure (id) WHERE cancelled"

_TASK_DONE = "(CASE WHEN {r}.status = 'closed' OR {r}.waived THEN 1 ELSE 0 END)"

PG_FUNCTIONS = [
    """
    CREATE OR REPLACE FUNCTION dashboards_tally_pct(n numeric, nd numeric, w numeric, wd numeric)
    RETURNS numeric AS $$
        SELECT ROUND(CASE WHEN w > 0 THEN 100.0 * wd / w WHEN n > 0 THEN 100.0 * nd / n ELSE 0 END, 9)
    $$ LANGUAGE sql IMMUTABLE
    """,
    """
    CREATE OR REPLACE FUNCTION dashboards_tally_unfinished(n numeric, nd numeric, w numeric, wd numeric)
    RETURNS integer AS $$
        SELECT CASE WHEN (w > 0 AND wd >= w) OR (w <= 0 AND n > 0 AND nd >= n) THEN 0 ELSE 1 END
    $$ LANGUAGE sql IMMUTABLE
    """,
]


def _pg_task_tallies(event: str, *, old: bool = False, new: bool = False) -> list[str]:
    """A statement-level trigger on tasks_task: the statement's rows (transition tables) folded into
    one change per measure, applied to the measure tallies and, from their values before and after,
    to the stage tallies, in one SQL statement. Row by row (as 0001 did), a bulk import of 10,000
    tasks into three stages would update the same three stage rows 10,000 times in one transaction,
    and PostgreSQL walks every earlier version of a row updated again in the same transaction: the
    import slowed down quadratically. The measures are read FOR SHARE (in id order): a measure
    edited meanwhile waits for this transaction, or this one for it, so both use the same weight."""
    parts = []
    done = _TASK_DONE.format(r="r")
    for table, sign, wanted in (("old_rows", "-", old), ("new_rows", "", new)):
        if wanted:
            parts.append(
                f"SELECT r.measure_id, {sign}1 AS n, {sign}{done} AS n_done, {sign}r.weight AS w,"
                f" {sign}({done} * r.weight) AS w_done FROM {table} r WHERE NOT r.cancelled"
            )
    rows = " UNION ALL ".join(parts)
    referencing = " ".join(
        clause for clause, wanted in (("OLD TABLE AS old_rows", old), ("NEW TABLE AS new_rows", new)) if wanted
    )
    before = "t.n - c.c_n, t.n_done - c.c_nd, t.w - c.c_w, t.w_done - c.c_wd"
    after = "t.n, t.n_done, t.w, t.w_done"
    function = f"""
    CREATE OR REPLACE FUNCTION dashboards_task_tallies_{event}() RETURNS trigger AS $$
    BEGIN
        WITH changes AS (
            SELECT measure_id, SUM(n) AS c_n, SUM(n_done) AS c_nd, SUM(w) AS c_w, SUM(w_done) AS c_wd
            FROM ({rows}) x
            GROUP BY measure_id
            HAVING SUM(n) <> 0 OR SUM(n_done) <> 0 OR SUM(w) <> 0 OR SUM(w_done) <> 0
        ), measures AS (
            SELECT pm.id, pm.stage_id, pm.starts_on, pm.ends_on, pm.weight, pm.cancelled FROM plans_measure pm
            WHERE pm.id IN (SELECT measure_id FROM changes) ORDER BY pm.id FOR SHARE
        ), tallied AS (
            INSERT INTO dashboards_measuretally AS mt (measure_id, n, n_done, w, w_done)
            SELECT measure_id, c_n, c_nd, c_w, c_wd FROM changes ORDER BY measure_id
            ON CONFLICT (measure_id) DO UPDATE SET
                n = mt.n + EXCLUDED.n, n_done = mt.n_done + EXCLUDED.n_done,
                w = mt.w + EXCLUDED.w, w_done = mt.w_done + EXCLUDED.w_done
            RETURNING mt.measure_id, mt.n, mt.n_done, mt.w, mt.w_done
        ), moved AS (
            SELECT m.stage_id, m.starts_on, m.ends_on, m.weight, c.c_n, c.c_nd,
                   dashboards_tally_pct({before}) AS o_pct, dashboards_tally_pct({after}) AS n_pct,
                   dashboards_tally_unfinished({before}) AS o_unf, dashboards_tally_unfinished({after}) AS n_unf
            FROM tallied t
            JOIN changes c ON c.measure_id = t.measure_id
            JOIN measures m ON m.id = t.measure_id
            WHERE NOT m.cancelled
        )
        INSERT INTO {ST} AS st (stage_id, starts_on, ends_on, measures, unfinished, n, n_done, w, weighted, plain)
        SELECT stage_id, starts_on, ends_on, 0, SUM(n_unf - o_unf), SUM(c_n), SUM(c_nd), 0,
               SUM(weight * (n_pct - o_pct)), SUM(n_pct - o_pct)
        FROM moved
        GROUP BY stage_id, starts_on, ends_on
        ORDER BY stage_id, starts_on, ends_on
        ON CONFLICT (stage_id, starts_on, ends_on) DO UPDATE SET
            unfinished = st.unfinished + EXCLUDED.unfinished, n = st.n + EXCLUDED.n,
            n_done = st.n_done + EXCLUDED.n_done, weighted = st.weighted + EXCLUDED.weighted,
            plain = st.plain + EXCLUDED.plain;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """
    trigger = f"""
    CREATE TRIGGER dashboards_task_tallies_{event} AFTER {event.upper()} ON tasks_task
    REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION dashboards_task_tallies_{event}()
    """
    return [function, trigger]


POSTGRES = [
    *PG_FUNCTIONS,
    CANCELLED_INDEX,
    f"""
    CREATE UNIQUE INDEX dashboards_stagetally_key ON {ST} (stage_id, starts_on, ends_on) NULLS NOT DISTINCT
    """,
    # Move one measure's contribution: take the old one away (o_weight NULL: none) and add the new
    # one (n_weight NULL: none), both under the same (stage, window) key, in one upsert.
    f"""
    CREATE OR REPLACE FUNCTION dashboards_stage_tally_shift(
        p_stage bigint, p_starts date, p_ends date,
        o_weight numeric, o_n integer, o_nd integer, o_w numeric, o_wd numeric,
        n_weight numeric, n_n integer, n_nd integer, n_w numeric, n_wd numeric
    ) RETURNS void AS $$
    DECLARE
        o_in integer := CASE WHEN o_weight IS NULL THEN 0 ELSE 1 END;
        n_in integer := CASE WHEN n_weight IS NULL THEN 0 ELSE 1 END;
        o_pct numeric := dashboards_tally_pct(o_n, o_nd, o_w, o_wd);
        n_pct numeric := dashboards_tally_pct(n_n, n_nd, n_w, n_wd);
        o_unf integer := dashboards_tally_unfinished(o_n, o_nd, o_w, o_wd);
        n_unf integer := dashboards_tally_unfinished(n_n, n_nd, n_w, n_wd);
    BEGIN
        INSERT INTO {ST} AS st (stage_id, starts_on, ends_on, measures, unfinished, n, n_done, w, weighted, plain)
        VALUES (p_stage, p_starts, p_ends, n_in - o_in, n_in * n_unf - o_in * o_unf,
                n_in * n_n - o_in * o_n, n_in * n_nd - o_in * o_nd,
                COALESCE(n_weight, 0) - COALESCE(o_weight, 0),
                COALESCE(n_weight * n_pct, 0) - COALESCE(o_weight * o_pct, 0),
                n_in * n_pct - o_in * o_pct)
        ON CONFLICT (stage_id, starts_on, ends_on) DO UPDATE SET
            measures = st.measures + EXCLUDED.measures, unfinished = st.unfinished + EXCLUDED.unfinished,
            n = st.n + EXCLUDED.n, n_done = st.n_done + EXCLUDED.n_done, w = st.w + EXCLUDED.w,
            weighted = st.weighted + EXCLUDED.weighted, plain = st.plain + EXCLUDED.plain;
    END
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE OR REPLACE FUNCTION dashboards_stage_tally_from_measure() RETURNS trigger AS $$
    DECLARE
        t record;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.stage_id = OLD.stage_id
           AND NEW.starts_on IS NOT DISTINCT FROM OLD.starts_on AND NEW.ends_on IS NOT DISTINCT FROM OLD.ends_on
           AND NEW.weight = OLD.weight AND NEW.cancelled = OLD.cancelled THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.cancelled THEN
            SELECT COALESCE(MAX(mt.n), 0) AS n, COALESCE(MAX(mt.n_done), 0) AS n_done,
                   COALESCE(MAX(mt.w), 0) AS w, COALESCE(MAX(mt.w_done), 0) AS w_done
            INTO t FROM dashboards_measuretally mt WHERE mt.measure_id = OLD.id;
            PERFORM dashboards_stage_tally_shift(OLD.stage_id, OLD.starts_on, OLD.ends_on,
                OLD.weight, t.n, t.n_done, t.w, t.w_done, NULL, 0, 0, 0, 0);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.cancelled THEN
            SELECT COALESCE(MAX(mt.n), 0) AS n, COALESCE(MAX(mt.n_done), 0) AS n_done,
                   COALESCE(MAX(mt.w), 0) AS w, COALESCE(MAX(mt.w_done), 0) AS w_done
            INTO t FROM dashboards_measuretally mt WHERE mt.measure_id = NEW.id;
            PERFORM dashboards_stage_tally_shift(NEW.stage_id, NEW.starts_on, NEW.ends_on,
                NULL, 0, 0, 0, 0, NEW.weight, t.n, t.n_done, t.w, t.w_done);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    # Tasks: one statement-level trigger per event replaces 0001's row trigger (see _pg_task_tallies).
    "DROP TRIGGER dashboards_measure_tally ON tasks_task",
    *_pg_task_tallies("insert", new=True),
    *_pg_task_tallies("update", old=True, new=True),
    *_pg_task_tallies("delete", old=True),
    """
    CREATE TRIGGER dashboards_stage_tally_from_measure AFTER INSERT OR UPDATE OR DELETE ON plans_measure
    FOR EACH ROW EXECUTE FUNCTION dashboards_stage_tally_from_measure()
    """,
]

POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS dashboards_task_tallies_{e} ON tasks_task" for e in ("insert", "update", "delete")),
    *(f"DROP FUNCTION IF EXISTS dashboards_task_tallies_{e}()" for e in ("insert", "update", "delete")),
    "DROP FUNCTION IF EXISTS dashboards_tally_pct(numeric, numeric, numeric, numeric)",
    "DROP FUNCTION IF EXISTS dashboards_tally_unfinished(numeric, numeric, numeric, numeric)",
    """
    CREATE TRIGGER dashboards_measure_tally AFTER INSERT OR UPDATE OR DELETE ON tasks_task
    FOR EACH ROW EXECUTE FUNCTION dashboards_measure_tally()
    """,
    "DROP INDEX IF EXISTS dashboards_measure_cancelled",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_from_measure ON plans_measure",
    "DROP FUNCTION IF EXISTS dashboards_stage_tally_from_measure()",
    "DROP FUNCTION IF EXISTS dashboards_stage_tally_shift(bigint, date, date, numeric, integer, integer, numeric,"
    " numeric, numeric, integer, integer, numeric, numeric)",
]

# --- SQLite --------------------------------------------------------------------------------------

_ZERO = "(SELECT 0 AS n, 0 AS n_done, 0 AS w, 0 AS w_done)"


def _row(rec: str) -> str:
    """A tally's figures from a trigger record (OLD or NEW of dashboards_measuretally)."""
    return f"(SELECT {rec}.n AS n, {rec}.n_done AS n_done, {rec}.w AS w, {rec}.w_done AS w_done)"


def _tally_of(measure_id: str) -> str:
    """A measure's current figures, zeros before its first task."""
    return (
        "(SELECT COALESCE(MAX(n), 0) AS n, COALESCE(MAX(n_done), 0) AS n_done, COALESCE(MAX(w), 0) AS w,"
        f" COALESCE(MAX(w_done), 0) AS w_done FROM dashboards_measuretally WHERE measure_id = {measure_id})"
    )


def _measure_of(measure_id: str) -> str:
    return f"(SELECT stage_id, starts_on, ends_on, weight FROM plans_measure WHERE id = {measure_id} AND NOT cancelled)"


def _measure_rec(rec: str) -> str:
    """A measure's key and weight from a trigger record (OLD or NEW of plans_measure), if counted."""
    return (
        f"(SELECT {rec}.stage_id AS stage_id, {rec}.starts_on AS starts_on, {rec}.ends_on AS ends_on,"
        f" {rec}.weight AS weight WHERE NOT {rec}.cancelled)"
    )


def _shift(sign: str, m: str, t: str) -> str:
    """Add (+) or take away (-) the contribution of measure ``m`` (0 or 1 row) with figures ``t``."""
    key = f"{ST}.stage_id = m.stage_id AND {ST}.starts_on IS m.starts_on AND {ST}.ends_on IS m.ends_on"
    ensure = ""
    if sign == "+":
        ensure = f"""
        INSERT INTO {ST} (stage_id, starts_on, ends_on, measures, unfinished, n, n_done, w, weighted, plain)
        SELECT m.stage_id, m.starts_on, m.ends_on, 0, 0, 0, 0, 0, 0, 0 FROM {m} m
        WHERE NOT EXISTS (SELECT 1 FROM {ST} WHERE {key});"""
    return f"""{ensure}
        UPDATE {ST} SET (measures, unfinished, n, n_done, w, weighted, plain) = (
            SELECT {ST}.measures {sign} 1, {ST}.unfinished {sign} {_unfinished("t")},
                   {ST}.n {sign} t.n, {ST}.n_done {sign} t.n_done, ROUND({ST}.w {sign} m.weight, 2),
                   ROUND({ST}.weighted {sign} ROUND(m.weight * {_pct("t")}, 9), 9),
                   ROUND({ST}.plain {sign} {_pct("t")}, 9)
            FROM {m} m, {t} t)
        WHERE EXISTS (SELECT 1 FROM {m} m WHERE {key});"""


_MEASURE_CHANGED = (
    "OLD.id IS NOT NEW.id OR OLD.stage_id IS NOT NEW.stage_id OR OLD.starts_on IS NOT NEW.starts_on"
    " OR OLD.ends_on IS NOT NEW.ends_on OR OLD.weight IS NOT NEW.weight OR OLD.cancelled IS NOT NEW.cancelled"
)

SQLITE = [
    CANCELLED_INDEX,
    f"CREATE INDEX dashboards_stagetally_key ON {ST} (stage_id, starts_on, ends_on)",
    "CREATE TRIGGER dashboards_stage_tally_tasks_insert AFTER INSERT ON dashboards_measuretally BEGIN"
    f"{_shift('-', _measure_of('NEW.measure_id'), _ZERO)}"
    f"{_shift('+', _measure_of('NEW.measure_id'), _row('NEW'))} END",
    "CREATE TRIGGER dashboards_stage_tally_tasks_update AFTER UPDATE ON dashboards_measuretally BEGIN"
    f"{_shift('-', _measure_of('OLD.measure_id'), _row('OLD'))}"
    f"{_shift('+', _measure_of('NEW.measure_id'), _row('NEW'))} END",
    "CREATE TRIGGER dashboards_stage_tally_tasks_delete AFTER DELETE ON dashboards_measuretally BEGIN"
    f"{_shift('-', _measure_of('OLD.measure_id'), _row('OLD'))}"
    f"{_shift('+', _measure_of('OLD.measure_id'), _ZERO)} END",
    "CREATE TRIGGER dashboards_stage_tally_measure_insert AFTER INSERT ON plans_measure BEGIN"
    f"{_shift('+', _measure_rec('NEW'), _tally_of('NEW.id'))} END",
    "CREATE TRIGGER dashboards_stage_tally_measure_update"
    " AFTER UPDATE OF id, stage_id, starts_on, ends_on, weight, cancelled ON plans_measure"
    f" WHEN {_MEASURE_CHANGED} BEGIN"
    f"{_shift('-', _measure_rec('OLD'), _tally_of('OLD.id'))}"
    f"{_shift('+', _measure_rec('NEW'), _tally_of('NEW.id'))} END",
    "CREATE TRIGGER dashboards_stage_tally_measure_delete AFTER DELETE ON plans_measure BEGIN"
    f"{_shift('-', _measure_rec('OLD'), _tally_of('OLD.id'))} END",
]

SQLITE_REVERSE = [
    "DROP INDEX IF EXISTS dashboards_measure_cancelled",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_measure_delete",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_measure_update",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_measure_insert",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_tasks_delete",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_tasks_update",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_tasks_insert",
    "DROP INDEX IF EXISTS dashboards_stagetally_key",
]


def _backfill(*, sqlite: bool) -> str:
    """Every counted measure's contribution, summed per (stage, window)."""

    def rounded(expr: str, places: int) -> str:
        return f"ROUND({expr}, {places})" if sqlite else expr

    pct = _pct("t")
    weight = rounded("SUM(t.weight)", 2)
    weighted = rounded(f"SUM({rounded(f'(t.weight * {pct})', 9)})", 9)
    plain = rounded(f"SUM({pct})", 9)
    return f"""
    INSERT INTO {ST} (stage_id, starts_on, ends_on, measures, unfinished, n, n_done, w, weighted, plain)
    SELECT t.stage_id, t.starts_on, t.ends_on, COUNT(*), SUM({_unfinished("t")}), SUM(t.n), SUM(t.n_done),
           {weight}, {weighted}, {plain}
    FROM (
        SELECT m.stage_id, m.starts_on, m.ends_on, m.weight, COALESCE(mt.n, 0) AS n,
               COALESCE(mt.n_done, 0) AS n_done, COALESCE(mt.w, 0) AS w, COALESCE(mt.w_done, 0) AS w_done
        FROM plans_measure m
        LEFT OUTER JOIN dashboards_measuretally mt ON mt.measure_id = m.id
        WHERE NOT m.cancelled
    ) t
    GROUP BY t.stage_id, t.starts_on, t.ends_on
    """


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        chosen = statements.get(vendor)
        if chosen is None:
            raise RuntimeError(f"dashboards stage tallies: no triggers written for {vendor}")
        for sql in chosen:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_measure_tally_triggers"),
        ("plans", "0006_stage_completion_opinion"),
    ]

    operations = [
        migrations.CreateModel(
            name="StageTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stage_id", models.BigIntegerField(verbose_name="阶段")),
                ("starts_on", models.DateField(null=True, verbose_name="措施开始日期")),
                ("ends_on", models.DateField(null=True, verbose_name="措施截止日期")),
                ("measures", models.IntegerField(default=0, verbose_name="措施数")),
                ("unfinished", models.IntegerField(default=0, verbose_name="未完成措施数")),
                ("n", models.IntegerField(default=0, verbose_name="任务数")),
                ("n_done", models.IntegerField(default=0, verbose_name="已完成任务数")),
                ("w", models.DecimalField(decimal_places=2, default=0, max_digits=16, verbose_name="措施权重合计")),
                (
                    "weighted",
                    models.DecimalField(decimal_places=11, default=0, max_digits=30, verbose_name="权重×完成率合计"),
                ),
                ("plain", models.DecimalField(decimal_places=9, default=0, max_digits=24, verbose_name="完成率合计")),
            ],
            options={"verbose_name": "阶段措施汇总", "verbose_name_plural": "阶段措施汇总"},
        ),
        migrations.RunPython(
            _run({"postgresql": [*POSTGRES, _backfill(sqlite=False)], "sqlite": [*SQLITE, _backfill(sqlite=True)]}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
