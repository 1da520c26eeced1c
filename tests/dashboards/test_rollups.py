"""Rollups on hand-made plans: the documented rules, bad input, and the query budget."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.rollups import expected_percent, plan_progress, weighted_mean
from plans import services
from plans.models import Stage
from tasks.models import Task
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 15)


def d(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def make_plan(county, stages):
    return PlanFactory(school=county.a.school, stages=[services.StageSpec(*s) for s in stages])


def add_tasks(measure, specs):
    """specs: (status, waived, weight, due offset or None)."""
    return Task.objects.bulk_create(
        [
            Task(
                plan=measure.stage.plan,
                measure=measure,
                order=i,
                title=f"任务{i}",
                status=s,
                waived=w,
                weight=Decimal(str(wt)),
                due_on=None if due is None else d(due),
            )
            for i, (s, w, wt, due) in enumerate(specs)
        ]
    )


def test_expected_percent_runs_linearly_over_the_window_and_is_none_without_an_end():
    assert expected_percent(d(1), d(10), TODAY) == 0
    assert expected_percent(d(-9), d(0), TODAY) == 100
    assert expected_percent(d(-4), d(5), TODAY) == pytest.approx(50)  # day 5 of 10
    assert expected_percent(None, d(3), TODAY) == 0
    assert expected_percent(None, d(-1), TODAY) == 100
    assert expected_percent(d(-3), None, TODAY) is None
    assert expected_percent(d(5), d(-5), TODAY) == 100  # reversed window: only the end counts


def test_weighted_mean_falls_back_to_equal_weights_and_never_divides_by_zero():
    assert weighted_mean([]) == 0
    assert weighted_mean([(0.0, 50.0), (0.0, 100.0)]) == 75
    assert weighted_mean([(3.0, 100.0), (1.0, 0.0)]) == 75


def test_a_plan_without_tasks_or_stages_is_all_zeros(county):
    given_plan = make_plan(county, [("准备阶段",), ("实施阶段",)])
    when = plan_progress([given_plan.pk, 999_999], today=TODAY)
    then = when[given_plan.pk]
    assert (then.total, then.done, then.overdue, then.percent) == (0, 0, 0, 0.0)
    assert then.expected is None and not then.behind
    assert then.percent_display == "0%" and then.expected_display == "—"
    assert when[999_999].percent == 0 and when[999_999].current_stage is None


def test_weighted_task_progress_and_done_means_closed_or_waived(county):
    plan = make_plan(county, [("准备阶段", d(-10), d(10))])
    measure = services.measure_create(actor=None, stage=plan.stages.get(), title="措施")
    add_tasks(measure, [("closed", False, 3, None), ("assigned", True, 1, None), ("in_progress", False, 4, None)])
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.measures[measure.pk].percent == pytest.approx(50)  # (3 + 1) / 8
    assert (then.done, then.total) == (2, 3)


def test_zero_weights_count_equally_at_every_level(county):
    plan = make_plan(county, [("准备阶段",), ("实施阶段",)])
    first, second = plan.stages.order_by("order")
    m1 = services.measure_create(actor=None, stage=first, title="甲", weight=Decimal(0))
    m2 = services.measure_create(actor=None, stage=second, title="乙", weight=Decimal(0))
    add_tasks(m1, [("closed", False, 0, None), ("assigned", False, 0, None)])
    add_tasks(m2, [("closed", False, 0, None)])
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.measures[m1.pk].percent == 50
    assert then.stages[first.pk].percent == 50 and then.stages[second.pk].percent == 100
    assert then.percent == 75


def test_overdue_counts_at_every_level_and_ignores_done_and_undated_tasks(county):
    plan = make_plan(county, [("准备阶段",), ("实施阶段",)])
    first, second = plan.stages.order_by("order")
    m1 = services.measure_create(actor=None, stage=first, title="甲")
    m2 = services.measure_create(actor=None, stage=second, title="乙")
    add_tasks(
        m1,
        [
            ("assigned", False, 1, -1),
            ("closed", False, 1, -5),
            ("returned", True, 1, -5),
            ("in_progress", False, 1, 0),
            ("assigned", False, 1, None),
        ],
    )
    add_tasks(m2, [("submitted", False, 1, -30)])
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.measures[m1.pk].overdue == 1
    assert then.stages[first.pk].overdue == 1 and then.stages[second.pk].overdue == 1
    assert then.overdue == 2


def test_behind_schedule_uses_the_margin_setting(county, settings):
    plan = make_plan(county, [("实施阶段", d(-9), d(10))])  # day 10 of 20: 50 % expected
    measure = services.measure_create(actor=None, stage=plan.stages.get(), title="措施")
    add_tasks(measure, [("closed", False, 1, None)] + [("assigned", False, 1, None)] * 2)  # 33 %
    settings.BEHIND_SCHEDULE_MARGIN = 10
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.expected == pytest.approx(50)
    assert then.behind and then.stages[plan.stages.get().pk].behind and then.measures[measure.pk].behind
    assert then.lag == pytest.approx(50 - 100 / 3)
    settings.BEHIND_SCHEDULE_MARGIN = 20
    assert not plan_progress([plan.pk], today=TODAY)[plan.pk].behind


def test_a_measure_without_dates_is_never_behind_and_its_stage_uses_the_stage_window(county):
    plan = make_plan(county, [("实施阶段",)])
    stage = plan.stages.get()
    undated = services.measure_create(actor=None, stage=stage, title="无日期")
    add_tasks(undated, [("assigned", False, 1, None)])
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.measures[undated.pk].expected is None and not then.measures[undated.pk].behind
    assert then.stages[stage.pk].expected is None and then.expected is None and not then.behind
    Stage.objects.filter(pk=stage.pk).update(starts_on=d(-100), ends_on=d(-1))
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.measures[undated.pk].expected == 100 and then.measures[undated.pk].behind
    assert then.overdue_measures == 1


def test_a_completed_stage_counts_100_and_the_current_stage_is_the_first_open_one(county):
    plan = make_plan(county, [("准备阶段",), ("实施阶段",), ("验收阶段",)])
    first, second, _ = plan.stages.order_by("order")
    measure = services.measure_create(actor=None, stage=first, title="甲")
    add_tasks(measure, [("assigned", False, 1, None)])
    Stage.objects.filter(pk=first.pk).update(status=Stage.Status.COMPLETED)
    then = plan_progress([plan.pk], today=TODAY)[plan.pk]
    assert then.stages[first.pk].percent == 100
    assert then.current_stage.pk == second.pk
    assert [s.pk for s in then.stage_list] == list(plan.stages.order_by("order").values_list("pk", flat=True))


def test_plans_do_not_mix(county):
    a, b = county.a.plan, county.b.plan
    Task.objects.filter(plan=a).update(status=Task.Status.CLOSED)
    result = plan_progress([a.pk, b.pk])
    assert result[a.pk].done == result[a.pk].total == 4
    assert result[b.pk].done == 0 and result[b.pk].total == 4


def test_plan_progress_issues_two_queries_however_many_plans(county):
    with CaptureQueriesContext(connection) as one:
        plan_progress([county.a.plan.pk])
    with CaptureQueriesContext(connection) as three:
        plan_progress([county.a.plan.pk, county.b.plan.pk, county.c.plan.pk])
    assert len(one) == len(three) == 2
    with CaptureQueriesContext(connection) as none:
        assert plan_progress([]) == {}
    assert len(none) == 0
