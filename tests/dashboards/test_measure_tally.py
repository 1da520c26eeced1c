"""The measure tallies kept by triggers equal a recount of the tasks after any sequence of writes:
inserts, single and bulk updates of status, waived, cancelled, weight and measure, and deletes."""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards.models import MeasureTally, StageTally
from plans.models import Measure, Stage
from tasks.models import Task

STATUSES = [s for s, _ in Task.Status.choices]
ops = st.lists(
    st.tuples(
        st.sampled_from(["create", "status", "waive", "cancel", "weight", "move", "delete", "bulk_close"]),
        st.integers(min_value=0, max_value=50),
        st.sampled_from(STATUSES),
        st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), Decimal("1"), Decimal("2.5")]),
    ),
    min_size=1,
    max_size=25,
)


def recount(measure_ids: list[int]) -> dict[int, tuple]:
    want = {}
    for mid in measure_ids:
        tasks = [t for t in Task.objects.filter(measure_id=mid) if not t.cancelled]
        done = [t for t in tasks if t.status == Task.Status.CLOSED or t.waived]
        if tasks:
            want[mid] = (len(tasks), len(done), sum(t.weight for t in tasks), sum(t.weight for t in done))
    return want


def tallies(measure_ids: list[int]) -> dict[int, tuple]:
    """The stored values as the dashboards' raw SQL reads them (the ORM would round a float that
    SQLite let drift back to two places and hide it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT measure_id, n, n_done, w, w_done FROM {MeasureTally._meta.db_table}"
            f" WHERE measure_id IN ({', '.join(['%s'] * len(measure_ids))})",
            measure_ids,
        )
        rows = cursor.fetchall()
    return {
        mid: (n, n_done, Decimal(str(w)), Decimal(str(w_done)))
        for mid, n, n_done, w, w_done in rows
        if n  # a measure whose tasks were all removed keeps a row of zeros
    }


def apply(op, value, status, weight, plan, measures):
    tasks = list(Task.objects.filter(plan=plan).order_by("pk"))
    task = tasks[value % len(tasks)] if tasks else None
    query = Task.objects.filter(pk=task.pk) if task else Task.objects.none()
    if op == "create" or task is None:
        Task.objects.create(plan=plan, measure=measures[value % 2], title="t", status=status, weight=weight)
    elif op == "status":
        query.update(status=status)
    elif op == "waive":
        query.update(waived=not task.waived)
    elif op == "cancel":
        query.update(cancelled=not task.cancelled, status=Task.Status.CLOSED)
    elif op == "weight":
        task.weight = weight
        task.save(update_fields=["weight"])
    elif op == "move":
        query.update(measure=measures[1] if task.measure_id == measures[0].pk else measures[0])
    elif op == "delete":
        task.delete()
    else:
        Task.objects.filter(plan=plan).update(status=Task.Status.CLOSED)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=ops)
def test_tallies_equal_a_recount_after_any_writes(sequence, county):
    plan = county.a.plan
    measures = list(Measure.objects.filter(stage__plan=plan).order_by("pk")[:2])
    ids = [m.pk for m in measures]
    with transaction.atomic():
        for op in sequence:
            apply(*op, plan, measures)
            assert tallies(ids) == recount(ids), op
        transaction.set_rollback(True)


# --- stage tallies: measures folded per (stage, window), kept by triggers on measures and tallies --

stage_ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "status", "waive", "cancel", "weight", "move", "delete", "bulk_close"]
            + ["m_create", "m_weight", "m_window", "m_cancel", "m_stage", "m_delete"]
        ),
        st.integers(min_value=0, max_value=50),
        st.sampled_from(STATUSES),
        st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.2"), Decimal("0.3"), Decimal("1"), Decimal("2.5")]),
    ),
    min_size=1,
    max_size=30,
)
WINDOWS = [(None, None), (datetime.date(2026, 3, 1), None), (datetime.date(2026, 3, 1), datetime.date(2026, 5, 31))]


def stage_recount(stage_ids: list[int]) -> dict[tuple, tuple]:
    """(stage, starts_on, ends_on) → measures, unfinished, tasks, done, Σ weight, Σ weight × percent,
    Σ percent, from the measures and tasks themselves, with exact fractions."""
    want: dict[tuple, list] = {}
    for m in Measure.objects.filter(stage_id__in=stage_ids, cancelled=False):
        tasks = [t for t in Task.objects.filter(measure=m) if not t.cancelled]
        done = [t.status == Task.Status.CLOSED or t.waived for t in tasks]
        w = sum(Fraction(t.weight) for t in tasks)
        w_done = sum(Fraction(t.weight) for t, d in zip(tasks, done, strict=True) if d)
        pct = w_done / w * 100 if w > 0 else (Fraction(sum(done), len(tasks)) * 100 if tasks else Fraction(0))
        row = want.setdefault((m.stage_id, m.starts_on, m.ends_on), [0, 0, 0, 0, Fraction(0), Fraction(0), Fraction(0)])
        for i, value in enumerate(
            (1, int(pct < 100), len(tasks), sum(done), Fraction(m.weight), Fraction(m.weight) * pct, pct)
        ):
            row[i] += value
    return {k: tuple(v) for k, v in want.items()}


def stage_tallies(stage_ids: list[int]) -> dict[tuple, tuple]:
    """The stored rows as rollups reads them (raw SQL, no rounding by the ORM); empty rows left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT stage_id, starts_on, ends_on, measures, unfinished, n, n_done, w, weighted, plain"
            f" FROM {StageTally._meta.db_table} WHERE stage_id IN ({', '.join(['%s'] * len(stage_ids))})",
            stage_ids,
        )
        rows = cursor.fetchall()
    as_date = lambda v: v if v is None or isinstance(v, datetime.date) else datetime.date.fromisoformat(v)  # noqa: E731
    return {(s, as_date(a), as_date(b)): tuple(rest) for s, a, b, *rest in rows if rest[0]}


def assert_stage_tallies(stage_ids: list[int], op) -> None:
    got, want = stage_tallies(stage_ids), stage_recount(stage_ids)
    assert set(got) == set(want), op
    for key, (measures, unfinished, n, n_done, w, weighted, plain) in want.items():
        g = got[key]
        assert g[:4] == (measures, unfinished, n, n_done), (op, key)
        assert Decimal(str(g[4])) == Decimal(w.numerator) / Decimal(w.denominator), (op, key)
        assert abs(float(g[5]) - float(weighted)) < 1e-6, (op, key)
        assert abs(float(g[6]) - float(plain)) < 1e-6, (op, key)


def apply_to_measures(op, value, weight, stages, measures):
    measure = measures[value % len(measures)] if measures else None
    if op == "m_create" or measure is None:
        stage = stages[value % len(stages)]
        starts_on, ends_on = WINDOWS[value % len(WINDOWS)]
        measures.append(
            Measure.objects.create(
                stage=stage, order=value, title="m", weight=weight, starts_on=starts_on, ends_on=ends_on
            )
        )
    elif op == "m_weight":
        Measure.objects.filter(pk=measure.pk).update(weight=weight)
    elif op == "m_window":
        starts_on, ends_on = WINDOWS[value % len(WINDOWS)]
        Measure.objects.filter(pk=measure.pk).update(starts_on=starts_on, ends_on=ends_on)
    elif op == "m_cancel":
        measure.refresh_from_db()
        Measure.objects.filter(pk=measure.pk).update(cancelled=not measure.cancelled)
    elif op == "m_stage":
        Measure.objects.filter(pk=measure.pk).update(stage=stages[value % len(stages)])
    else:
        measures.remove(measure)
        measure.delete()  # its tasks first (Django's cascade), then the measure


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=stage_ops)
def test_stage_tallies_equal_a_recount_after_any_writes(sequence, county):
    plan = county.a.plan
    with transaction.atomic():
        stages = list(Stage.objects.filter(plan=plan).order_by("order"))
        stages.append(Stage.objects.create(plan=plan, order=99, name="另一阶段"))
        stage_ids = [s.pk for s in stages]
        measures = list(Measure.objects.filter(stage__plan=plan).order_by("pk"))
        assert_stage_tallies(stage_ids, "before")
        for op in sequence:
            if op[0].startswith("m_") or len(measures) < 2:  # the task ops move between two measures
                apply_to_measures(op[0], op[1], op[3], stages, measures)
            else:
                apply(*op, plan, measures)
            assert_stage_tallies(stage_ids, op)
        transaction.set_rollback(True)
