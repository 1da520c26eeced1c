"""The bureau's overview: states, filters and sorting from the URL, scoping, constant query count."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from acceptance.overview import acceptance_overview
from acceptance.services import final_rating_set, inspection_result_record, inspection_team_set
from orgs.grants import org_group_name
from orgs.models import Organisation, User
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD, build_school

pytestmark = pytest.mark.django_db


def fail(county, school):
    criteria, application = applied(school)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    for criterion, tier in zip(criteria, (1, 1, 4, 4), strict=True):
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=tier,
                         rectify=tier == 4)
    inspection_result_record(actor=county.inspector, application=application)
    return application


def test_states_scores_and_items(county):
    fail(county, county.a)
    rows = {r.school: r for r in acceptance_overview(county.bureau_admin)}
    assert set(rows) == {"a学校", "b学校"}  # never the other county's school c
    assert rows["a学校"].state_label == "整改中" and rows["a学校"].open_items == 2
    assert rows["a学校"].final_score == Decimal("50") and rows["b学校"].state_label == "未申请"
    assert [r.school for r in acceptance_overview(county.bureau_admin, state="failed")] == ["a学校"]
    assert [r.school for r in acceptance_overview(county.bureau_admin, township="青石镇")] == ["b学校"]
    assert [r.school for r in acceptance_overview(county.bureau_admin, sort="open")][0] == "a学校"
    assert [r.school for r in acceptance_overview(county.centre_head)] == ["b学校"]
    assert acceptance_overview(county.other_bureau_user)[0].school == "c学校"


def test_the_page_keeps_filters_in_the_url_and_lists_my_inspections(client, county):
    application = fail(county, county.a)
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    body = client.get(reverse("acceptance:overview") + "?state=failed&sort=score").content.decode()
    assert "a学校" in body and "b学校" not in body and 'value="failed" selected' in body
    client.logout()
    application.status = "inspecting"
    application.save(update_fields=["status"])
    assert client.login(username=county.inspector.username, password=PASSWORD)
    body = client.get(reverse("acceptance:overview")).content.decode()
    assert "我的评估任务" in body and reverse("acceptance:inspection", args=[application.pk]) in body


def test_query_count_does_not_grow_with_schools(county, client):
    fail(county, county.a)
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    url = reverse("acceptance:overview")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(5):
        build_school(f"x{i}", county.bureau, township="城关镇")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.content.decode().count("<tr class") == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_query_count_is_the_same_for_5_and_120_schools_in_every_state(county, client):
    """The overview's queries do not grow with the county (5 → 120 schools, every acceptance state,
    rectification items): one query for the rows whatever their number, and a paged table."""
    from bench.acceptance import build_acceptance
    from bench.scale import build_scale

    build_scale(schools=5, tasks_per_school=1, prefix="qa")
    build_acceptance(prefix="qa", criteria=4, form_criteria=4)
    admin = User.objects.get(username="qa_admin")
    client.force_login(admin)
    url = reverse("acceptance:overview")
    # A user's first page in a process compiles their scope queries (core.sqlmemo), which may read
    # permission rows once: measure pages as they are from the second on.
    client.get(url)
    with CaptureQueriesContext(connection) as five:
        body = client.get(url).content.decode()
    assert body.count('<tr class="') == 5 and "整改中" in body and "已验收" in body
    build_scale(schools=115, tasks_per_school=1, prefix="qb")
    build_acceptance(prefix="qb", criteria=4, form_criteria=4)
    # qb is another synthetic bureau: let qa's admin see its schools too, as one county of 120.
    admin.groups.add(Group.objects.get(name=org_group_name(Organisation.objects.get(code="qb-jyj"))))
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    body = response.content.decode()
    assert "共 120 所" in body and body.count('<tr class="') == 100  # the first page of two
    assert len(five.captured_queries) > 0
    assert len(many.captured_queries) == len(five.captured_queries)
    second = client.get(url + "?sort=open&page=2").content.decode()
    assert second.count('<tr class="') == 20 and "第 2 / 2 页" in second


def test_the_results_export_lists_recorded_rounds(client, county):
    import io

    from openpyxl import load_workbook

    fail(county, county.a)
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    body = client.get(reverse("acceptance:overview")).content.decode()
    assert reverse("excel:acceptance_results") in body
    response = client.get(reverse("excel:acceptance_results"))
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = [row for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ("乡镇", "学校", "实施方案", "轮次", "结论")
    assert [r[1] for r in rows[1:]] == ["a学校"] and rows[1][4] == "不合格"
    client.logout()
    assert client.login(username=county.a.leader.username, password=PASSWORD)
    assert client.get(reverse("excel:acceptance_results")).status_code == 403
