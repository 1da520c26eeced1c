"""A title or name longer than its field allows is refused with a message on every path (forms,
services, bulk creation, the Excel import), never cut silently."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from core.errors import DomainError
from excel.reader import read_workbook
from plans import services as plan_services
from plans.models import Indicator, Measure, Plan
from tasks import services as task_services
from tasks.forms import TaskForm
from tasks.models import Task
from tests.excel_fixtures import simple_workbook

pytestmark = pytest.mark.django_db

LONG = "很长的任务名称" * 29  # 203 characters


def test_task_paths_refuse_a_long_title_and_change_nothing(county):
    a = county.a
    before = Task.objects.count()
    with pytest.raises(DomainError, match="任务名称最多 200 个字，现有 203 个字"):
        task_services.task_create(actor=a.leader, measure=a.measure, title=LONG)
    with pytest.raises(DomainError, match="任务名称最多 200 个字"):
        task_services.tasks_create_bulk(
            actor=a.leader,
            plan=a.plan,
            items=[task_services.NewTask(a.measure, "短标题"), task_services.NewTask(a.measure, LONG)],
        )
    assert Task.objects.count() == before
    with pytest.raises(DomainError, match="任务名称最多 200 个字"):
        task_services.task_update(task=a.tasks[0], actor=a.leader, title=LONG)
    assert Task.objects.get(pk=a.tasks[0].pk).title == "印发文件"


def test_plan_measure_and_indicator_paths_refuse_long_names(county):
    a = county.a
    with pytest.raises(DomainError, match="方案名称最多 200 个字"):
        plan_services.plan_update(actor=a.leader, plan=a.plan, title=LONG)
    assert Plan.objects.get(pk=a.plan.pk).title == "义务教育优质均衡发展实施方案"
    with pytest.raises(DomainError, match="措施名称最多 200 个字"):
        plan_services.measure_create(actor=a.leader, stage=a.measure.stage, title=LONG)
    with pytest.raises(DomainError, match="措施名称最多 200 个字"):
        plan_services.measure_update(actor=a.leader, measure=a.measure, title=LONG)
    assert Measure.objects.get(pk=a.measure.pk).title == "成立工作领导小组"
    with pytest.raises(DomainError, match="指标名称最多 100 个字"):
        plan_services.indicator_create(
            actor=a.leader, plan=a.plan, name="指" * 101, unit="%", direction="ge", target=Decimal("1")
        )
    with pytest.raises(DomainError, match="阶段名称最多 50 个字"):
        plan_services.stage_add(actor=a.leader, plan=a.plan, name="阶" * 51)
    assert not Indicator.objects.filter(name__startswith="指指").exists()


def test_the_task_form_refuses_with_a_message_and_lets_the_browser_keep_the_paste(county):
    form = TaskForm({"title": LONG, "weight": "1"}, plan=county.a.plan)
    assert not form.is_valid()
    assert form.errors["title"] == ["任务名称最多 200 个字，现有 203 个字，请缩短。"]
    # No maxlength attribute: the browser would cut a pasted title without a word.
    assert "maxlength" not in str(form["title"])


def test_excel_import_reports_long_cells_by_sheet_row_and_column():
    data = simple_workbook(
        [
            ["准备阶段", "成立工作领导小组", LONG, "组长", "", "", "", "", ""],
            ["准备阶段", "措" * 201, "召开会议", "组长", "", "", "", "", ""],
        ],
        **{"指标": [["指标", "单位", "目标值"], ["生均图书", "册" * 21, "25"]]},
    )
    result = read_workbook(io.BytesIO(data))
    problems = {(p.sheet, p.row, p.column[:1]): p.message for p in result.problems if p.is_error}
    assert problems[("方案", 2, "C")].startswith("任务名称最多 200 个字，现有 203 个字")
    assert problems[("方案", 3, "B")].startswith("措施名称最多 200 个字，现有 201 个字")
    assert problems[("指标", 2, "B")].startswith("单位最多 20 个字")
    assert not result.ok
