"""Exports: real xlsx with Chinese headers, frozen header, widths, real dates, no formulas, and
only what the user may see."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from plans import services as plan_services
from plans.models import IndicatorReading
from tasks.models import Evidence, Task
from tasks.services import task_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOSTILE_TITLES = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\x01=控制字符", '=HYPERLINK("http://evil","点我")']
# What each title must look like in the export: control characters dropped, then escaped.
EXPECTED = ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'=控制字符", '\'=HYPERLINK("http://evil","点我")']


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def values(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def no_formulas(wb) -> None:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def add_hostile_tasks(county) -> None:
    for title in HOSTILE_TITLES:
        task_create(actor=None, measure=county.a.measure, title=title, assignee=county.a.member)


def plan_urls(plan) -> list[str]:
    return [reverse(f"excel:plan_{what}", args=[plan.pk]) for what in ("progress", "workbook", "evidence")]


def test_plan_progress_export(client, county):
    add_hostile_tasks(county)
    wb = fetch(login(client, county.a.office), reverse("excel:plan_progress", args=[county.a.plan.pk]))
    ws = wb.worksheets[0]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width > 20
    header, *rows = values(ws)
    assert header[:6] == ("阶段", "措施", "任务", "责任人", "责任单位", "状态")
    by_task = {r[2]: r for r in rows if r[2]}
    overdue = by_task["召开会议"]
    assert overdue[5] == "待办" and overdue[8] == "是" and overdue[9] == 2
    assert isinstance(overdue[7], datetime.datetime)  # a real date cell
    assert overdue[7].date() == timezone.localdate() - datetime.timedelta(days=2)
    assert by_task["明确分工"][5] == "待分派" and by_task["明确分工"][3] is None
    measure_row = next(r for r in rows if r[1] == "成立工作领导小组" and r[2] is None)
    assert measure_row[5] == "措施" and measure_row[10] == 0
    # Formula-like text is escaped with a leading apostrophe and stays text.
    for title in EXPECTED:
        assert title in by_task, title
    no_formulas(wb)


@pytest.mark.parametrize("what", ["progress", "workbook", "evidence"])
def test_every_plan_export_escapes_formulas(client, county, what):
    add_hostile_tasks(county)
    wb = fetch(login(client, county.a.leader), reverse(f"excel:plan_{what}", args=[county.a.plan.pk]))
    no_formulas(wb)
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A2", "A3")


@pytest.mark.parametrize("who", ["leader", "office", "member", "staff"])
def test_another_schools_people_get_404_on_every_plan_export(client, county, who):
    login(client, getattr(county.b, who))
    for url in plan_urls(county.a.plan):
        assert client.get(url).status_code == 404, url


def test_other_county_bureau_gets_404(client, county):
    login(client, county.other_bureau_user)
    for url in plan_urls(county.a.plan):
        assert client.get(url).status_code == 404


def test_county_summary_contains_only_visible_schools(client, county):
    plan_services.plan_create(actor=None, school=county.b.school, title="第二个方案", year=2026)
    wb = fetch(login(client, county.bureau_admin), reverse("excel:county_summary"))
    ws = wb["学校汇总"]
    header, *rows = values(ws)
    assert header[:4] == ("乡镇", "学校", "学校代码", "实施方案")
    assert {r[1] for r in rows} == {"a学校", "b学校"}
    row_a = next(r for r in rows if r[1] == "a学校")
    assert (row_a[6], row_a[8], row_a[9], row_a[10]) == ("准备阶段", 4, 0, 1)  # stage, tasks, done, overdue
    assert (row_a[11], row_a[12], row_a[13]) == (0, 0, 1)  # indicators met, reported, total
    assert len([r for r in rows if r[1] == "b学校"]) == 2
    # The centre head sees only school b; school c (another county) never appears.
    wb = fetch(login(client, county.centre_head), reverse("excel:county_summary") + "?detail=1")
    assert {r[1] for r in values(wb["学校汇总"])[1:]} == {"b学校"}
    assert {r[1] for r in values(wb["任务明细"])[1:]} == {"b学校"}


def test_county_detail_lists_every_task(client, county):
    wb = fetch(login(client, county.inspector), reverse("excel:county_summary") + "?detail=1")
    header, *rows = values(wb["任务明细"])
    assert header == ("乡镇", "学校", "实施方案", "阶段", "措施", "任务", "责任人", "状态", "截止日期", "是否逾期")
    assert len(rows) == Task.objects.filter(plan__in=[county.a.plan, county.b.plan]).count()
    assert any(r[5] == "召开会议" and r[9] == "是" for r in rows)


@pytest.mark.parametrize("who", ["leader", "office", "member"])
def test_school_people_may_not_export_county_tables(client, county, who):
    login(client, getattr(county.a, who))
    assert client.get(reverse("excel:county_summary")).status_code == 403
    assert client.get(reverse("excel:county_indicators")).status_code == 403


def test_indicator_table_across_schools(client, county):
    IndicatorReading.objects.create(
        indicator=county.a.indicator,
        value=Decimal("26.5"),
        measured_on=datetime.date(2026, 5, 1),
        reported_by=county.a.office,
    )
    IndicatorReading.objects.create(
        indicator=county.b.indicator,
        value=Decimal("20"),
        measured_on=datetime.date(2026, 5, 2),
        reported_by=county.b.office,
    )
    wb = fetch(login(client, county.bureau_admin), reverse("excel:county_indicators"))
    header, *rows = values(wb.worksheets[0])
    assert header[3:10] == ("指标", "单位", "方向", "目标值", "最新实际值", "上报日期", "是否达标")
    got = {(r[1], r[3]): (r[6], r[7], r[9]) for r in rows}
    assert got == {("a学校", "生均图书"): (25, 26.5, "达标"), ("b学校", "生均图书"): (25, 20, "未达标")}


def test_evidence_catalogue(client, county):
    task = county.a.tasks[0]
    Evidence.objects.create(
        task=task,
        file=ContentFile(b"pdf", name="x.bin"),
        original_name="=cmd|自评报告.pdf",
        content_type="application/pdf",
        size=2048,
        uploaded_by=county.a.member,
    )
    wb = fetch(login(client, county.a.office), reverse("excel:plan_evidence", args=[county.a.plan.pk]))
    header, *rows = values(wb.worksheets[0])
    assert header[:5] == ("序号", "阶段", "措施", "任务", "文件名")
    assert rows == [
        (
            1,
            "准备阶段",
            "成立工作领导小组",
            task.title,
            "'=cmd|自评报告.pdf",
            "application/pdf",
            2,
            county.a.member.full_name,
            rows[0][8],
        )
    ]
    no_formulas(wb)


def test_plan_workbook_export_has_the_import_sheets(client, county):
    wb = fetch(login(client, county.a.office), reverse("excel:plan_workbook", args=[county.a.plan.pk]))
    assert wb.sheetnames == ["方案", "指标", "评估表"]
    ws = wb["方案"]
    assert ws["A1"].value == county.a.plan.title and ws.freeze_panes == "A3"
    assert [c.value for c in ws[2]] == [
        "阶段",
        "措施",
        "任务",
        "责任角色",
        "责任人",
        "责任单位",
        "开始日期",
        "截止日期",
        "权重",
    ]
