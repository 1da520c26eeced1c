"""Dashboard pages: who sees what, filters and sorting, bad input, indicator reports, query budget."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from bench.scale import build_scale
from dashboards.selectors import CountyFilters, county_dashboard, school_dashboard
from dashboards.services import indicator_report
from orgs import services as org_services
from orgs.models import User
from plans import services
from plans.models import IndicatorReading, Plan
from tasks.models import Task
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db

COUNTY = reverse("dashboards:county")


def school_url(plan):
    return reverse("dashboards:school", args=[plan.pk])


def login(client, user):
    client.force_login(user)
    return client


def assert_clean(html: str):
    """Nothing a broken computation leaves behind."""
    for bad in ("NaN", "nan%", "None%", "inf%", "Infinity"):
        assert bad not in html, bad


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "schools"),
    [
        ("bureau_admin", {"a学校", "b学校"}),
        ("inspector", {"a学校", "b学校"}),
        ("centre_head", {"b学校"}),
        ("other_bureau_user", {"c学校"}),
    ],
)
def test_county_dashboard_shows_only_the_overseers_schools(client, county, who, schools):
    response = login(client, getattr(county, who)).get(COUNTY)
    assert response.status_code == 200
    assert {r.school.name for r in response.context["dash"].rows} == schools


@pytest.mark.parametrize("who", ["leader", "member", "staff"])
def test_school_staff_may_not_open_the_county_dashboard(client, county, who):
    assert login(client, getattr(county.a, who)).get(COUNTY).status_code == 403


@pytest.mark.parametrize("who", ["leader", "deputy", "office", "member", "staff"])
def test_everyone_of_the_school_sees_its_dashboard(client, county, who):
    response = login(client, getattr(county.a, who)).get(school_url(county.a.plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert "a学校 · 工作看板" in html
    assert response.context["read_only"] is (who in ("member", "staff"))
    assert response.context["can_report"] is (who != "staff")
    assert_clean(html)


@pytest.mark.parametrize("who", ["bureau_admin", "inspector"])
def test_overseers_see_a_school_dashboard_read_only(client, county, who):
    response = login(client, getattr(county, who)).get(school_url(county.a.plan))
    assert response.status_code == 200 and response.context["read_only"] and not response.context["can_report"]


@pytest.mark.parametrize("who", ["b_leader", "c_leader", "centre_head", "other_bureau_user"])
def test_foreign_school_dashboards_look_like_missing_ones(client, county, who):
    user = {
        "b_leader": county.b.leader,
        "c_leader": county.c.leader,
        "centre_head": county.centre_head,
        "other_bureau_user": county.other_bureau_user,
    }[who]
    assert login(client, user).get(school_url(county.a.plan)).status_code == 404


def test_the_dashboard_link_leads_each_role_to_its_dashboard(client, county):
    response = login(client, county.a.member).get(reverse("dashboards:index"))
    assert response.status_code == 302 and response["Location"] == school_url(county.a.plan)
    assert login(client, county.inspector).get(reverse("dashboards:index"))["Location"] == COUNTY
    home = login(client, county.a.member).get(reverse("home")).content.decode()
    assert reverse("dashboards:index") in home


def test_the_dashboard_link_without_any_plan(client, county):
    school = org_services.organisation_create(actor=None, code="empty", name="空学校", kind="school", parent=county.bureau)
    user = org_services.user_create(actor=None, username="lonely", password="pw-for-tests-1", organisation=school)
    response = login(client, user).get(reverse("dashboards:index"))
    assert response.status_code == 200 and "还没有您可以查看的实施方案" in response.content.decode()


def test_the_school_dashboard_shows_the_numbers(client, county):
    Task.objects.filter(pk=county.a.tasks[2].pk).update(status=Task.Status.CLOSED)
    indicator_report(actor=county.a.member, indicator=county.a.indicator, value=20, measured_on=timezone.localdate())
    dash = school_dashboard(county.a.plan)
    assert (dash.progress.done, dash.progress.total, dash.progress.overdue) == (1, 4, 1)
    assert [(t.label, t.count) for t in dash.overdue_by_person] == [(str(county.a.people["member2"]), 1)]
    assert [t.title for t in dash.upcoming] == ["印发文件"]
    assert (dash.indicators_met, dash.indicators_total) == (0, 1)
    assert dash.indicators[0].distance_text == "距目标还差 5册"
    assert dict((s, n) for s, _, n in dash.measure_counts) == {"done": 0, "active": 0, "late": 1, "not_started": 1}
    assert [r.kind for r in dash.gantt.rows] == ["stage", "measure", "stage", "measure", "stage"]
    assert dash.gantt.today_left is not None


def test_overdue_by_working_group_uses_the_measures_group_then_the_assignees_seat(client, county):
    plan = county.a.plan
    group = services.working_group_create(actor=None, plan=plan, name="资源配置组")
    services.seat_set(actor=None, plan=plan, user=county.a.member2, role="member", working_group=group)
    dash = school_dashboard(plan)
    assert [(t.label, t.count) for t in dash.overdue_by_group] == [("资源配置组", 1)]


# --- county filters and sorting ----------------------------------------------------------------


def test_county_filters_by_township_stage_and_behind(client, county):
    c = login(client, county.bureau_admin)
    assert [r.school.name for r in c.get(COUNTY, {"township": "青石镇"}).context["dash"].rows] == ["b学校"]
    assert [r.school.name for r in c.get(COUNTY, {"stage": "准备阶段"}).context["dash"].rows] == ["a学校", "b学校"]
    assert c.get(COUNTY, {"stage": "验收阶段"}).context["dash"].rows == []
    assert len(c.get(COUNTY, {"behind": "1"}).context["dash"].rows) == 2  # 0 % done, about 75 % expected
    Task.objects.filter(plan=county.b.plan).update(status=Task.Status.CLOSED)
    rows = c.get(COUNTY, {"behind": "1"}).context["dash"].rows
    assert [r.school.name for r in rows] == ["a学校"] and rows[0].progress.behind


def test_county_sorts_by_any_column_and_ranks_by_overdue(client, county):
    c = login(client, county.bureau_admin)
    Task.objects.filter(plan=county.b.plan).update(due_on=datetime.date(2020, 1, 1))
    rows = c.get(COUNTY, {"sort": "-overdue"}).context["dash"].rows
    assert [(r.school.name, r.progress.overdue) for r in rows] == [("b学校", 4), ("a学校", 1)]
    dash = c.get(COUNTY, {"sort": "overdue"}).context["dash"]
    assert [r.school.name for r in dash.rows] == ["a学校", "b学校"]
    assert [r.school.name for r in dash.ranking] == ["b学校", "a学校"]
    for key in ("school", "township", "stage", "percent", "expected", "lag", "indicators", "activity"):
        for sort in (key, f"-{key}"):
            response = c.get(COUNTY, {"sort": sort})
            assert response.status_code == 200 and len(response.context["dash"].rows) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "nonsense"},
        {"year": "abc"},
        {"campaign": "x|y"},
        {"stage": "<script>"},
        {"township": "无此镇"},
        {"campaign": "2026"},
        {"behind": "maybe"},
    ],
)
def test_county_survives_malformed_parameters(client, county, params):
    response = login(client, county.bureau_admin).get(COUNTY, params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split('id="county-filters"')[1]


def test_county_picks_one_plan_per_school_for_the_chosen_template(client, county):
    PlanFactory(school=county.a.school, title="另一个方案", year=2025)
    c = login(client, county.bureau_admin)
    dash = c.get(COUNTY).context["dash"]
    assert (dash.campaign.title, dash.campaign.plans) == ("义务教育优质均衡发展实施方案", 2)
    other = c.get(COUNTY, {"campaign": "2025|另一个方案"}).context["dash"]
    assert [(r.school.name, bool(r.plan)) for r in other.rows] == [("a学校", True), ("b学校", False)]
    assert other.rows[1].stage_name == "未建立方案"


def test_county_shows_last_activity_and_indicator_spread(client, county):
    indicator_report(actor=county.a.member, indicator=county.a.indicator, value=26, measured_on=timezone.localdate())
    indicator_report(actor=county.b.member, indicator=county.b.indicator, value=20, measured_on=timezone.localdate())
    dash = county_dashboard(county.bureau_admin, CountyFilters())
    by_name = {r.school.name: r for r in dash.rows}
    last_a = AuditEntry.objects.filter(plan_id=county.a.plan.pk).latest("created_at").created_at
    assert by_name["a学校"].last_activity == last_a
    assert (by_name["a学校"].indicators_met, by_name["b学校"].indicators_met) == (1, 0)
    [spread] = dash.spreads
    assert (spread.name, spread.schools, spread.reported, spread.met) == ("生均图书", 2, 2, 1)
    assert (spread.minimum, spread.median, spread.maximum) == (Decimal(20), Decimal(23), Decimal(26))
    assert "<svg" in spread.chart


def test_partial_answers_only_the_live_region(client, county):
    c = login(client, county.bureau_admin)
    county_part = c.get(COUNTY, {"partial": "1"}).content.decode()
    assert "<html" not in county_part and 'id="county-schools"' in county_part
    school_part = c.get(school_url(county.a.plan), {"partial": "1"}).content.decode()
    assert "<html" not in school_part and "阶段进度" in school_part


def test_pages_carry_the_live_hooks(client, county):
    c = login(client, county.bureau_admin)
    county_html = c.get(COUNTY).content.decode()
    assert "data-live-org" in county_html and "js/dashboard.js" in county_html
    assert re.search(r'data-plans="[\d,]+"', county_html)
    school_html = c.get(school_url(county.a.plan)).content.decode()
    assert f'data-live-plan="{county.a.plan.pk}"' in school_html


# --- bad input ----------------------------------------------------------------------------------


def test_degenerate_plans_render_sensibly(client, county):
    """No tasks, no stage dates, zero weights, indicators without readings, a target of zero with ≤."""
    plan = PlanFactory(
        school=county.a.school, title="空方案", stages=[services.StageSpec("准备阶段"), services.StageSpec("实施阶段")]
    )
    stage = plan.stages.get(order=1)
    services.measure_create(actor=None, stage=stage, title="无任务措施", weight=Decimal(0))
    zero = services.measure_create(actor=None, stage=stage, title="零权重", weight=Decimal(0))
    Task.objects.create(plan=plan, measure=zero, title="零权重任务", weight=Decimal(0))
    services.indicator_create(actor=None, plan=plan, name="未上报指标", unit="%", direction="ge", target=Decimal(95))
    safety = services.indicator_create(
        actor=None, plan=plan, name="安全事故", unit="起", direction="le", target=Decimal(0)
    )
    indicator_report(actor=None, indicator=safety, value=0, measured_on=timezone.localdate())
    empty = PlanFactory(school=county.b.school, title="空方案", stages=[services.StageSpec("准备阶段")])
    c = login(client, county.bureau_admin)
    for url in (school_url(plan), school_url(empty), reverse("dashboards:indicator", args=[safety.pk])):
        response = c.get(url)
        assert response.status_code == 200, url
        assert_clean(response.content.decode())
    html = c.get(school_url(plan)).content.decode()
    assert "暂无时间轴" in html and "待上报" in html and "恰好达到目标" in html
    county_html = c.get(COUNTY, {"campaign": f"{plan.year}|空方案"}).content.decode()
    assert_clean(county_html)
    assert "尚无学校上报" in county_html


# --- indicator page and evidence ----------------------------------------------------------------


def indicator_url(county):
    return reverse("dashboards:indicator", args=[county.a.indicator.pk])


def test_a_member_reports_a_reading_with_evidence(client, county):
    c = login(client, county.a.member)
    upload = SimpleUploadedFile("图书台账.pdf", b"%PDF-1.4 ledger", content_type="application/pdf")
    response = c.post(
        indicator_url(county),
        {"value": "25.5", "measured_on": timezone.localdate().isoformat(), "note": "学期末盘点", "evidence": upload},
    )
    assert response.status_code == 302
    reading = IndicatorReading.objects.get()
    assert (reading.value, reading.reported_by, reading.note) == (Decimal("25.5"), county.a.member, "学期末盘点")
    page = c.get(indicator_url(county)).content.decode()
    assert "达标" in page and "<svg" in page
    download = c.get(reverse("dashboards:reading_evidence", args=[reading.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 ledger"
    assert (
        login(client, county.b.leader).get(reverse("dashboards:reading_evidence", args=[reading.pk])).status_code == 404
    )


def test_a_bad_report_shows_the_reason_and_changes_nothing(client, county):
    c = login(client, county.a.member)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = c.post(indicator_url(county), {"value": "3", "measured_on": tomorrow})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()
    response = c.post(indicator_url(county), {"value": "abc", "measured_on": tomorrow})
    assert response.status_code == 400
    assert not IndicatorReading.objects.exists()


@pytest.mark.parametrize("who", ["staff", "inspector"])
def test_viewers_without_a_seat_see_the_history_but_may_not_report(client, county, who):
    user = county.a.staff if who == "staff" else county.inspector
    c = login(client, user)
    page = c.get(indicator_url(county))
    assert page.status_code == 200 and "只有本方案领导小组的成员可以上报" in page.content.decode()
    today = timezone.localdate().isoformat()
    assert c.post(indicator_url(county), {"value": "30", "measured_on": today}).status_code == 403
    assert not IndicatorReading.objects.exists()


def test_foreign_indicators_look_missing(client, county):
    assert login(client, county.b.leader).get(indicator_url(county)).status_code == 404
    assert login(client, county.b.leader).post(indicator_url(county), {"value": "1"}).status_code == 404


# --- query budget -------------------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # warm caches that belong to the process, not to the page (content types)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def test_dashboards_issue_the_same_number_of_queries_for_few_and_many_schools(client):
    counts = {}
    for schools, prefix in ((3, "few"), (30, "many")):
        build_scale(schools=schools, tasks_per_school=60, prefix=prefix)
        plan = Plan.objects.filter(school__code=f"{prefix}-s0001").get()
        Task.objects.filter(plan=plan, status=Task.Status.CLOSED).update(due_on=datetime.date(2020, 1, 1))
        for idx, reading in enumerate(IndicatorReading.objects.filter(indicator__plan=plan)):
            IndicatorReading.objects.create(
                indicator=reading.indicator,
                value=reading.value + idx,
                measured_on=reading.measured_on - datetime.timedelta(days=30),
            )
        admin = User.objects.get(username=f"{prefix}_admin")
        member = User.objects.get(username=f"{prefix}_s0001_3")
        counts[prefix] = (
            count_queries(login(client, admin), COUNTY),
            count_queries(client, COUNTY + "?sort=-overdue&stage=实施阶段&behind=1"),
            count_queries(login(client, member), school_url(plan)),
            count_queries(login(client, admin), school_url(plan)),
        )
    assert counts["few"] == counts["many"], counts
    print("query counts (county, county filtered, school member, school overseer):", counts)
    assert max(counts["many"]) <= 12, counts


def test_county_rows_escape_school_names(client, county):
    school = org_services.organisation_create(
        actor=None,
        code="xss",
        name="<script>alert(1)</script>学校",
        kind="school",
        parent=county.bureau,
        township="<i>镇</i>",
    )
    PlanFactory(school=school, title="义务教育优质均衡发展实施方案")
    html = login(client, county.bureau_admin).get(COUNTY).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;学校" in html
    assert "<i>镇</i>" not in html
