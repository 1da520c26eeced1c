"""Shifting dates by N days or to a new start date, with the same preview: for a plan and for a
bureau's plan template (next year's plans)."""

from __future__ import annotations

import datetime

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from plans import services
from plans.models import PlanTemplate
from tasks.models import Task
from tasks.services import plan_dates_shift_preview, plan_earliest_date

pytestmark = pytest.mark.django_db


def _template(county, **extra) -> PlanTemplate:
    spec = {
        "title": "优质均衡",
        "stages": [
            {
                "row": 2,
                "name": "准备阶段",
                "starts_on": "2026-03-01",
                "ends_on": "2026-03-31",
                "measures": [
                    {
                        "row": 3,
                        "title": "成立领导小组",
                        "slot": {"role": "leader", "group": "", "person": ""},
                        "units": [],
                        "starts_on": "2026-03-01",
                        "ends_on": "2026-03-15",
                        "weight": "1",
                        "tasks": [
                            {
                                "row": 4,
                                "title": "印发文件",
                                "slot": {"role": "office", "group": "", "person": ""},
                                "starts_on": None,
                                "due_on": "2026-03-10",
                                "weight": "1",
                            },
                            {
                                "row": 5,
                                "title": "无日期任务",
                                "slot": {"role": "", "group": "", "person": ""},
                                "starts_on": None,
                                "due_on": None,
                                "weight": "1",
                            },
                        ],
                    }
                ],
            },
            {"row": 6, "name": "验收阶段", "starts_on": None, "ends_on": "2026-12-31", "measures": []},
        ],
        "indicators": [],
        "criteria": [],
    }
    return PlanTemplate.objects.create(bureau=county.bureau, title="优质均衡模板", year=2026, spec=spec, **extra)


def test_a_plan_moves_to_a_new_start_date(county):
    plan = county.a.plan
    earliest = plan_earliest_date(plan)
    assert earliest == plan.stages.get(order=1).starts_on  # the first stage opens first here
    new_start = earliest + datetime.timedelta(days=365)
    days = services.days_to_start(earliest, new_start)
    assert days == 365
    assert min(r.new for r in plan_dates_shift_preview(plan, days) if r.new) == new_start


def test_a_new_start_equal_to_the_old_one_is_refused(county):
    earliest = plan_earliest_date(county.a.plan)
    with pytest.raises(DomainError, match="不能与原开始日期相同"):
        services.check_shift_days(services.days_to_start(earliest, earliest))
    with pytest.raises(DomainError, match="没有可调整的日期"):
        services.days_to_start(None, earliest)


def test_the_plan_page_previews_and_shifts_to_a_new_start_date(client, county):
    plan = county.a.plan
    first = plan.stages.get(order=1)
    task = county.a.tasks[0]
    new_start = first.starts_on + datetime.timedelta(days=30)
    client.force_login(county.a.office)
    page = client.get(f"/plans/{plan.pk}/edit/", {"start": new_start.isoformat()}).content.decode()
    assert 'id="shift-preview"' in page and 'name="days" value="30"' in page
    assert Task.objects.get(pk=task.pk).due_on == task.due_on  # a preview writes nothing
    client.post(f"/plans/{plan.pk}/edit/shift/", {"days": "30"})
    first.refresh_from_db()
    assert first.starts_on == new_start
    assert Task.objects.get(pk=task.pk).due_on == task.due_on + datetime.timedelta(days=30)


def test_the_plan_page_asks_for_one_of_days_or_start(client, county):
    plan = county.a.plan
    client.force_login(county.a.office)
    both = client.get(f"/plans/{plan.pk}/edit/", {"days": "3", "start": "2027-01-01"}).content.decode()
    neither = client.get(f"/plans/{plan.pk}/edit/", {"days": "", "start": ""}).content.decode()
    for page in (both, neither):
        assert "二选一" in page and 'id="shift-form"' not in page
    bad = client.get(f"/plans/{plan.pk}/edit/", {"start": "not-a-date"}).content.decode()
    assert 'id="shift-form"' not in bad


def test_a_template_shifts_by_days_and_keeps_undated_parts(county):
    template = _template(county)
    preview = services.template_date_shifts(template, 365)
    assert [(r[0], r[1], r[3]) for r in preview] == [
        ("阶段", "准备阶段", datetime.date(2027, 3, 1)),
        ("措施", "成立领导小组", datetime.date(2027, 3, 1)),
        ("任务", "印发文件", datetime.date(2027, 3, 10)),
        ("阶段", "验收阶段", datetime.date(2027, 12, 31)),
    ]
    counts = services.template_dates_shift(actor=county.bureau_admin, template=template, days=365)
    assert counts == {"days": 365, "stages": 2, "measures": 1, "tasks": 1}
    template.refresh_from_db()
    stage = template.spec["stages"][0]
    assert (stage["starts_on"], stage["ends_on"]) == ("2027-03-01", "2027-03-31")
    assert stage["measures"][0]["tasks"][0]["due_on"] == "2027-03-10"
    assert stage["measures"][0]["tasks"][1]["due_on"] is None
    assert template.spec["stages"][1]["starts_on"] is None
    entry = AuditEntry.objects.get(action="plans.template.dates_shifted", target_id=template.pk)
    assert entry.data == counts and entry.actor == county.bureau_admin


def test_a_template_moves_to_a_new_start_date(county):
    template = _template(county)
    earliest = services.template_earliest_date(template)
    assert earliest == datetime.date(2026, 3, 1)
    days = services.days_to_start(earliest, datetime.date(2027, 2, 15))
    services.template_dates_shift(actor=county.bureau_admin, template=template, days=days)
    template.refresh_from_db()
    assert services.template_earliest_date(template) == datetime.date(2027, 2, 15)


@pytest.mark.parametrize("who", ["leader", "inspector", "other_bureau"])
def test_only_the_bureaus_admin_shifts_its_template(county, client, who):
    template = _template(county)
    actor = {"leader": county.a.leader, "inspector": county.inspector, "other_bureau": county.other_bureau_user}[who]
    with pytest.raises(NotAllowed):
        services.template_dates_shift(actor=actor, template=template, days=7)
    client.force_login(actor)
    assert client.get(f"/plans/templates/{template.pk}/dates/").status_code == 404
    assert client.post(f"/plans/templates/{template.pk}/dates/shift/", {"days": "7"}).status_code == 404
    template.refresh_from_db()
    assert template.spec["stages"][0]["starts_on"] == "2026-03-01"
    assert not AuditEntry.objects.filter(action="plans.template.dates_shifted").exists()


def test_the_template_page_previews_then_shifts(county, client):
    template = _template(county)
    client.force_login(county.bureau_admin)
    page = client.get(f"/plans/templates/{template.pk}/dates/", {"start": "2027-03-01"}).content.decode()
    assert 'id="shift-preview"' in page and 'name="days" value="365"' in page and "2027-03-10" in page
    template.refresh_from_db()
    assert template.spec["stages"][0]["starts_on"] == "2026-03-01"  # a preview writes nothing
    client.post(f"/plans/templates/{template.pk}/dates/shift/", {"days": "365"})
    template.refresh_from_db()
    assert template.spec["stages"][0]["starts_on"] == "2027-03-01"
    bad = client.post(f"/plans/templates/{template.pk}/dates/shift/", {"days": "0"}, follow=True).content.decode()
    assert "不能为 0" in bad
    template.refresh_from_db()
    assert template.spec["stages"][0]["starts_on"] == "2027-03-01"
