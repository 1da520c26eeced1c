"""Past dates on import (issue 15, point 10): the preview says how many dates are past and offers
to shift them all (顺延) so the earliest falls on a chosen day; confirming writes the shifted dates."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from excel import services
from excel.models import WorkbookImport
from excel.spec import WorkbookSpec
from plans.models import Plan, PlanTemplate
from tasks.models import Task
from tests.excel.test_web import login, upload
from tests.excel_fixtures import simple_workbook

pytestmark = pytest.mark.django_db

D = datetime.timedelta


def dated_workbook(start: datetime.date) -> bytes:
    """Two stages, two measures, three tasks; every date an offset from ``start`` (the earliest)."""

    def day(offset: int) -> str:
        return (start + D(days=offset)).isoformat()

    return simple_workbook(
        [
            ["准备阶段", None, None, None, None, None, day(0), day(30), None],
            ["准备阶段", "成立工作领导小组", None, "组长", None, None, day(0), day(14), 1],
            [None, None, "印发文件", "办公室", None, None, day(1), day(5), 1],
            [None, None, "召开会议", "组长", None, None, None, day(9), None],
            ["实施阶段", "资源配置优化", "补充图书", "组长", None, None, day(31), day(200), 1],
        ],
        指标=[["指标", "单位", "方向", "目标值", "关联措施"], ["生均图书", "册", "≥", 25, "资源配置优化"]],
    )


def preview_of(client, county, start: datetime.date, **fields) -> tuple[WorkbookImport, str]:
    login(client, county.bureau_admin)
    fields.setdefault("school", county.a.school.pk)
    upload(client, dated_workbook(start), **fields)
    row = WorkbookImport.objects.latest("pk")
    assert row.status == WorkbookImport.Status.PREVIEWED, row.problems
    return row, reverse("excel:preview", args=[row.token])


def plan_dates(plan: Plan) -> list[datetime.date | None]:
    dates: list[datetime.date | None] = []
    for stage in plan.stages.order_by("order"):
        dates += [stage.starts_on, stage.ends_on]
        for measure in stage.measures.order_by("order"):
            dates += [measure.starts_on, measure.ends_on]
            for task in Task.objects.filter(measure=measure).order_by("order", "pk"):
                dates += [task.starts_on, task.due_on]
    return dates


def test_default_start_is_the_coming_monday():
    monday = datetime.date(2026, 11, 30)
    assert services.default_shift_start(monday) == monday
    assert services.default_shift_start(monday + D(days=1)) == monday + D(days=7)
    assert services.default_shift_start(monday - D(days=1)) == monday  # a Sunday


def test_preview_offers_the_shift_for_a_past_workbook(client, county):
    # given a workbook of last year; when previewed; then one notice: how many dates, the earliest
    start = timezone.localdate() - D(days=400)
    row, url = preview_of(client, county, start)
    page = client.get(url).content.decode()
    assert 'id="past-dates"' in page
    dates = WorkbookSpec.from_json(row.spec).dates()
    assert len(dates) > 10 and min(dates) == start
    assert f"工作簿中有 {len(dates)} 个日期已过" in page and f"最早的日期是 {start:%Y-%m-%d}" in page
    assert "将全部日期顺延，使最早的日期为" in page
    assert f'value="{services.default_shift_start():%Y-%m-%d}"' in page


def test_no_offer_for_a_future_workbook(client, county):
    _, url = preview_of(client, county, timezone.localdate() + D(days=3))
    page = client.get(url).content.decode()
    assert "确认导入" in page
    assert 'id="past-dates"' not in page and "顺延" not in page


def test_preview_shows_the_shifted_dates_and_confirm_writes_them_once(client, county):
    start = timezone.localdate() - D(days=400)
    new_start = timezone.localdate() + D(days=7)
    row, url = preview_of(client, county, start)
    page = client.get(url, {"shift_to": new_start.isoformat()}).content.decode()
    assert "下表已按顺延 407 天显示" in page and "确认导入（日期顺延 407 天）" in page
    assert f'name="shift_to" value="{new_start:%Y-%m-%d}"' in page
    assert f"<td>{new_start + D(days=200):%Y-%m-%d}</td>" in page  # the last task's shifted deadline
    assert f"<td>{start + D(days=200):%Y-%m-%d}</td>" not in page
    assert "已过" not in page.split('id="structure"')[0].split('id="shift-result"')[1]  # no stale warnings

    confirm = reverse("excel:confirm", args=[row.token])
    client.post(confirm, {"shift_to": new_start.isoformat()})
    plan = Plan.objects.get(title="网页导入")
    shifted = [new_start + D(days=o) for o in (0, 30, 0, 14, 1, 5)] + [None, new_start + D(days=9)]
    shifted += [new_start + D(days=o) for o in (31, 200, 31, 200, 31, 200)]
    assert plan_dates(plan) == shifted
    assert plan.indicators.count() == 1  # indicators carry no dates in the workbook; they come along
    entry = AuditEntry.objects.get(action="plans.plan.imported", plan_id=plan.pk)
    assert entry.data["shifted_days"] == 407
    # a double click: the second confirmation writes nothing and moves nothing again
    again = client.post(confirm, {"shift_to": (new_start + D(days=3)).isoformat()}, follow=True)
    assert "未重复导入" in again.content.decode()
    assert Plan.objects.filter(title="网页导入").count() == 1 and plan_dates(plan) == shifted


def test_confirm_without_the_shift_keeps_the_file_dates(client, county):
    start = timezone.localdate() - D(days=400)
    row, _ = preview_of(client, county, start)
    client.post(reverse("excel:confirm", args=[row.token]))
    plan = Plan.objects.get(title="网页导入")
    assert plan_dates(plan)[:2] == [start, start + D(days=30)]
    assert "shifted_days" not in AuditEntry.objects.get(action="plans.plan.imported", plan_id=plan.pk).data


def test_template_import_shifts_its_spec(client, county):
    start = timezone.localdate() - D(days=400)
    new_start = services.default_shift_start()
    row, url = preview_of(client, county, start, kind="template", title="县模板", year=2026, school="")
    assert 'id="past-dates"' in client.get(url).content.decode()
    client.post(reverse("excel:confirm", args=[row.token]), {"shift_to": new_start.isoformat()})
    spec = WorkbookSpec.from_json(PlanTemplate.objects.get(title="县模板").spec)
    assert spec.date_span() == (new_start, new_start + D(days=200))
    assert spec.tasks[0].due_on == new_start + D(days=5)


@pytest.mark.parametrize(
    ("shift_to", "message"),
    [
        ("2999-01-01", "一次最多调整 10 年"),
        ("yesterday", "顺延日期的格式不对"),
        ("past", "顺延后的最早日期不能早于今天"),
    ],
)
def test_absurd_shifts_are_refused_and_nothing_is_written(client, county, shift_to, message):
    start = timezone.localdate() - D(days=400)
    if shift_to == "past":
        shift_to = (timezone.localdate() - D(days=1)).isoformat()
    row, url = preview_of(client, county, start)
    response = client.get(url, {"shift_to": shift_to})
    assert response.status_code == 400 and message in response.content.decode()
    assert 'name="shift_to" value=' in response.content.decode()  # the form is still there
    refused = client.post(reverse("excel:confirm", args=[row.token]), {"shift_to": shift_to}, follow=True)
    assert message in refused.content.decode()
    assert not Plan.objects.filter(title="网页导入").exists()
    row.refresh_from_db()
    assert row.status == WorkbookImport.Status.PREVIEWED  # still confirmable, with a sane date
