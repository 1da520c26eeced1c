"""Property test: dashboards.rollups equals a brute-force recount, on random plans.

Hypothesis draws a few plans (stages with or without dates, completed or not; measures with zero or
positive weights and own or inherited windows; tasks of every status, waived or not, weights of
zero, due dates before, on and after today or missing; some tasks and measures cancelled). The recount below walks plain Python data
with exact fractions, following the rules in the rollups module docstring, and never touches SQL.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboards.rollups import plan_progress
from orgs.models import Organisation
from plans.models import Measure, Plan, Stage
from tasks.models import Task

TODAY = datetime.date(2026, 6, 15)
MARGIN = 10

offsets = st.one_of(st.none(), st.integers(min_value=-40, max_value=40))
weights = st.sampled_from([Decimal("0"), Decimal("0.25"), Decimal("1"), Decimal("2"), Decimal("3.5")])


@dataclass
class TaskSpec:
    status: str
    waived: bool
    weight: Decimal
    due: int | None
    cancelled: bool = False


@dataclass
class MeasureSpec:
    weight: Decimal
    start: int | None
    end: int | None
    tasks: list[TaskSpec]
    cancelled: bool = False


@dataclass
class StageSpec:
    status: str
    start: int | None
    end: int | None
    measures: list[MeasureSpec]


# A cancelled task is stored as a closed one with the flag (tasks.services.cancelling): draw it so,
# and the recount must neither count it as done (closed) nor as due (its date).
task_specs = st.builds(
    TaskSpec,
    st.sampled_from(Task.Status.values),
    st.booleans(),
    weights,
    offsets,
    st.sampled_from([False] * 3 + [True]),
).map(lambda t: TaskSpec(Task.Status.CLOSED, False, t.weight, t.due, True) if t.cancelled else t)
measure_specs = st.builds(
    MeasureSpec, weights, offsets, offsets, st.lists(task_specs, max_size=5), st.sampled_from([False, False, True])
)
stage_specs = st.builds(
    StageSpec, st.sampled_from(Stage.Status.values), offsets, offsets, st.lists(measure_specs, max_size=4)
)
plan_specs = st.lists(st.lists(stage_specs, max_size=4), min_size=1, max_size=3)


def day(offset: int | None) -> datetime.date | None:
    return None if offset is None else TODAY + datetime.timedelta(days=offset)


# --- the brute-force recount ---------------------------------------------------------------------


def wmean(pairs: list[tuple[Fraction, Fraction]]) -> Fraction:
    if not pairs:
        return Fraction(0)
    total = sum(w for w, _ in pairs)
    if total > 0:
        return sum(w * v for w, v in pairs) / total
    return sum(v for _, v in pairs) / len(pairs)


def expected(start: int | None, end: int | None) -> Fraction | None:
    if end is None:
        return None
    if 0 >= end:
        return Fraction(100)
    if start is None or start > end or 0 < start:
        return Fraction(0)
    return Fraction(0 - start + 1, end - start + 1) * 100


def recount(stages: list[StageSpec]) -> dict:
    plan = {"total": 0, "done": 0, "overdue": 0, "overdue_measures": 0, "stages": [], "measures": []}
    stage_pairs, stage_exp_pairs, plan_scheduled = [], [], False
    for stage in stages:
        s = {"total": 0, "done": 0, "overdue": 0, "overdue_measures": 0, "weight": Fraction(0)}
        pairs, exp_pairs, scheduled = [], [], False
        for m in stage.measures:
            if m.cancelled:  # left out entirely, tasks and all
                continue
            tasks = [t for t in m.tasks if not t.cancelled]  # neither done nor due: not there
            done = [t.status == Task.Status.CLOSED or t.waived for t in tasks]
            total_w = sum(Fraction(t.weight) for t in tasks)
            done_w = sum(Fraction(t.weight) for t, d in zip(tasks, done, strict=True) if d)
            if total_w > 0:
                pct = done_w / total_w * 100
            elif tasks:
                pct = Fraction(sum(done), len(tasks)) * 100
            else:
                pct = Fraction(0)
            overdue = sum(1 for t, d in zip(tasks, done, strict=True) if t.due is not None and t.due < 0 and not d)
            exp = expected(m.start if m.start is not None else stage.start, m.end if m.end is not None else stage.end)
            plan["measures"].append(
                {"total": len(tasks), "done": sum(done), "overdue": overdue, "percent": pct, "expected": exp}
            )
            w = Fraction(m.weight)
            pairs.append((w, pct))
            exp_pairs.append((w, pct if exp is None else exp))
            scheduled |= exp is not None
            s["total"] += len(tasks)
            s["done"] += sum(done)
            s["overdue"] += overdue
            s["weight"] += w
            if stage.status != Stage.Status.COMPLETED and exp is not None and exp >= 100 and pct < 100:
                s["overdue_measures"] += 1
        s["percent"] = Fraction(100) if stage.status == Stage.Status.COMPLETED else wmean(pairs)
        if any(not m.cancelled for m in stage.measures):
            s["expected"] = wmean(exp_pairs) if scheduled else None
        else:
            s["expected"] = expected(stage.start, stage.end)
        plan["stages"].append(s)
        for key in ("total", "done", "overdue", "overdue_measures"):
            plan[key] += s[key]
        stage_pairs.append((s["weight"], s["percent"]))
        stage_exp_pairs.append((s["weight"], s["percent"] if s["expected"] is None else s["expected"]))
        plan_scheduled |= s["expected"] is not None
    plan["percent"] = wmean(stage_pairs)
    plan["expected"] = wmean(stage_exp_pairs) if plan_scheduled else None
    return plan


# --- building the same plans in the database -----------------------------------------------------


def build(school: Organisation, index: int, stages: list[StageSpec]) -> tuple[Plan, list[Stage], list[Measure]]:
    plan = Plan.objects.create(school=school, title=f"方案{index}", year=2026)
    stage_rows, measure_rows = [], []
    for order, spec in enumerate(stages, start=1):
        stage = Stage.objects.create(
            plan=plan,
            order=order,
            name=f"阶段{order}",
            status=spec.status,
            starts_on=day(spec.start),
            ends_on=day(spec.end),
        )
        stage_rows.append(stage)
        for m_order, m in enumerate(spec.measures, start=1):
            measure = Measure.objects.create(
                stage=stage,
                order=m_order,
                title=f"措施{m_order}",
                weight=m.weight,
                starts_on=day(m.start),
                ends_on=day(m.end),
                cancelled=m.cancelled,
            )
            if not m.cancelled:
                measure_rows.append(measure)
            Task.objects.bulk_create(
                [
                    Task(
                        plan=plan,
                        measure=measure,
                        order=i,
                        title=f"任务{i}",
                        status=t.status,
                        waived=t.waived,
                        cancelled=t.cancelled,
                        weight=t.weight,
                        due_on=day(t.due),
                    )
                    for i, t in enumerate(m.tasks)
                ]
            )
    return plan, stage_rows, measure_rows


def close(a: Fraction | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - b) < 1e-6


def behind(percent: Fraction, exp: Fraction | None) -> bool:
    return exp is not None and percent < exp - MARGIN


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=plan_specs)
def test_rollups_equal_a_brute_force_recount(plans, county):
    from django.test import override_settings

    with override_settings(BEHIND_SCHEDULE_MARGIN=MARGIN), transaction.atomic():
        built = [build(county.a.school, i, spec) for i, spec in enumerate(plans)]
        result = plan_progress([p.pk for p, _, _ in built], today=TODAY)
        summary = plan_progress([p.pk for p, _, _ in built], today=TODAY, detail=False)
        assert len(result) == len(summary) == len(plans)
        for (plan, stage_rows, measure_rows), spec in zip(built, plans, strict=True):
            want = recount(spec)
            check(result[plan.pk], want, stage_rows)
            check(summary[plan.pk], want, stage_rows, stage_overdue=False)
            got = result[plan.pk]
            for measure, m in zip(measure_rows, want["measures"], strict=True):
                gm = got.measures[measure.pk]
                assert (gm.total, gm.done, gm.overdue) == (m["total"], m["done"], m["overdue"])
                assert close(m["percent"], gm.percent)
                assert close(m["expected"], gm.expected)
            assert summary[plan.pk].measures == {}
        transaction.set_rollback(True)


def check(got, want, stage_rows, *, stage_overdue: bool = True):
    """Plan and stage figures (both modes of plan_progress fill these; the summary mode counts
    overdue tasks per plan only, its stages' ``overdue`` stay 0)."""
    for key in ("total", "done", "overdue", "overdue_measures"):
        assert getattr(got, key) == want[key], key
    assert close(want["percent"], got.percent)
    assert close(want["expected"], got.expected)
    assert got.behind == behind(want["percent"], want["expected"])
    assert 0 <= got.percent <= 100
    for stage, s in zip(stage_rows, want["stages"], strict=True):
        gs = got.stages[stage.pk]
        assert (gs.total, gs.done, gs.overdue, gs.overdue_measures) == (
            s["total"],
            s["done"],
            s["overdue"] if stage_overdue else 0,
            s["overdue_measures"],
        )
        assert close(s["percent"], gs.percent)
        assert close(s["expected"], gs.expected)
        assert gs.behind == behind(s["percent"], s["expected"])
    first_open = next((s for s in stage_rows if s.status != Stage.Status.COMPLETED), None)
    assert (got.current_stage.pk if got.current_stage else None) == (first_open.pk if first_open else None)
