"""Per-stage tallies (dashboards.StageTally): a stage's measures folded by their own date window, kept
by triggers on ``plans_measure`` (a measure added, moved, re-weighted, re-dated, cancelled, deleted)
and on ``dashboards_measuretally`` (its tasks' counts changed, through the triggers of 0001). A
city-wide dashboard then sums a few rows per stage instead of one per measure.

A measure's contribution: 1 measure; 1 unfinished unless its tasks are all done (by weight, or by
count when they weigh nothing); its task counts; its weight; weight × percent and percent, the
percent rounded to 9 places first so that taking a contribution away undoes adding it exactly.

PostgreSQL: plpgsql functions; the tally trigger reads the measure ``FOR SHARE``, so that a measure
edited while one of its tasks changes waits for (or is waited for by) that task's transaction and
both use the same weight and window. SQLite (one writer at a time): the same arithmetic inline,
running sums rounded to the same places.
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

POSTGRES = [
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
        o_pct numeric := ROUND(CASE WHEN o_w > 0 THEN 100.0 * o_wd / o_w
                                    WHEN o_n > 0 THEN 100.0 * o_nd / o_n ELSE 0 END, 9);
        n_pct numeric := ROUND(CASE WHEN n_w > 0 THEN 100.0 * n_wd / n_w
                                    WHEN n_n > 0 THEN 100.0 * n_nd / n_n ELSE 0 END, 9);
        o_unf integer := CASE WHEN (o_w > 0 AND o_wd >= o_w) OR (o_w <= 0 AND o_n > 0 AND o_nd >= o_n)
                              THEN 0 ELSE 1 END;
        n_unf integer := CASE WHEN (n_w > 0 AND n_wd >= n_w) OR (n_w <= 0 AND n_n > 0 AND n_nd >= n_n)
                              THEN 0 ELSE 1 END;
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
    CREATE OR REPLACE FUNCTION dashboards_stage_tally_from_tasks() RETURNS trigger AS $$
    DECLARE
        m record;
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.measure_id <> OLD.measure_id THEN
            RAISE EXCEPTION 'dashboards_measuretally: a tally never changes its measure';
        END IF;
        SELECT pm.stage_id, pm.starts_on, pm.ends_on, pm.weight, pm.cancelled INTO m FROM plans_measure pm
        WHERE pm.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.measure_id ELSE NEW.measure_id END
        FOR SHARE;
        IF NOT FOUND OR m.cancelled THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
            PERFORM dashboards_stage_tally_shift(m.stage_id, m.starts_on, m.ends_on,
                m.weight, 0, 0, 0, 0, m.weight, NEW.n, NEW.n_done, NEW.w, NEW.w_done);
        ELSIF TG_OP = 'UPDATE' THEN
            PERFORM dashboards_stage_tally_shift(m.stage_id, m.starts_on, m.ends_on,
                m.weight, OLD.n, OLD.n_done, OLD.w, OLD.w_done, m.weight, NEW.n, NEW.n_done, NEW.w, NEW.w_done);
        ELSE
            PERFORM dashboards_stage_tally_shift(m.stage_id, m.starts_on, m.ends_on,
                m.weight, OLD.n, OLD.n_done, OLD.w, OLD.w_done, m.weight, 0, 0, 0, 0);
        END IF;
        RETURN NULL;
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
    """
    CREATE TRIGGER dashboards_stage_tally_from_tasks AFTER INSERT OR UPDATE OR DELETE ON dashboards_measuretally
    FOR EACH ROW EXECUTE FUNCTION dashboards_stage_tally_from_tasks()
    """,
    """
    CREATE TRIGGER dashboards_stage_tally_from_measure AFTER INSERT OR UPDATE OR DELETE ON plans_measure
    FOR EACH ROW EXECUTE FUNCTION dashboards_stage_tally_from_measure()
    """,
]

POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS dashboards_measure_cancelled",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_from_measure ON plans_measure",
    "DROP TRIGGER IF EXISTS dashboards_stage_tally_from_tasks ON dashboards_measuretally",
    "DROP FUNCTION IF EXISTS dashboards_stage_tally_from_measure()",
    "DROP FUNCTION IF EXISTS dashboards_stage_tally_from_tasks()",
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
