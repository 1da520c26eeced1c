"""The measure tallies kept by triggers equal a recount of the tasks after any sequence of writes:
inserts, single and bulk updates of status, waived, cancelled, weight and measure, and deletes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards.models import MeasureTally
from plans.models import Measure
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
