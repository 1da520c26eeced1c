"""Cancelled tasks and measures in the Excel exports and imports: a cancelled task reads 已取消 (not
已完成 or 已豁免) and is never overdue; importing into a plan never adds tasks to a cancelled measure."""

from __future__ import annotations

import io

from django.urls import reverse

from excel import services
from plans.models import Measure
from tasks.models import Task
from tasks.services import task_create
from tasks.services.cancelling import measure_cancel, task_cancel
from tests.excel.test_export import fetch, login, values
from tests.excel.test_import import into_target
from tests.excel_fixtures import simple_workbook


def _cancelled_task(county) -> Task:
    task = task_create(actor=None, measure=county.a.measure, title="取消的任务", assignee=county.a.member)
    return task_cancel(task=task, actor=county.a.office, reason="不再需要")


def test_plan_progress_names_a_cancelled_task(client, county):
    _cancelled_task(county)
    wb = fetch(login(client, county.a.office), reverse("excel:plan_progress", args=[county.a.plan.pk]))
    row = next(r for r in values(wb.worksheets[0]) if r[2] == "取消的任务")
    assert row[5] == "已取消"
    assert row[8] == "否"


def test_county_detail_names_a_cancelled_task(client, county):
    _cancelled_task(county)
    wb = fetch(login(client, county.inspector), reverse("excel:county_summary") + "?detail=1")
    row = next(r for r in values(wb["任务明细"])[1:] if r[5] == "取消的任务")
    assert row[7] == "已取消" and row[9] == "否"


def test_import_into_a_plan_skips_a_cancelled_measure_of_the_same_name(county):
    plan = county.a.plan
    measure_cancel(measure=county.a.measure, actor=county.a.office, reason="合并到其他措施")
    title = county.a.measure.title
    data = simple_workbook([[county.a.measure.stage.name, title, "补充任务", "办公室", None, None, None, None, None]])
    preview = services.plan_import(
        actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(plan), dry_run=True
    )
    assert not any("加入该措施" in p.message for p in preview.problems)
    outcome = services.plan_import(actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(plan))
    assert not outcome.errors, outcome.problems
    task = Task.objects.get(plan=plan, title="补充任务")
    assert task.measure != county.a.measure and not task.measure.cancelled
    assert Measure.objects.filter(stage__plan=plan, title=title).count() == 2
