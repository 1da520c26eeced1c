"""Wherever a plan's state is shown it reads with the acceptance words: 验收中, 公示中, 整改中, and
已验收 for an accepted plan (never 已完成): home pages, the school and plan pages, the school
dashboard, the county dashboard, the acceptance page and the county summary export."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from acceptance.services import (
    acceptance_finalise,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
)
from acceptance.states import label_plans, plan_state_label
from plans.models import Plan
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
DATE = datetime.date(2026, 12, 1)


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def inspect(county, tiers):
    criteria, application = applied(county.a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=DATE)
    for criterion, tier in zip(criteria, tiers, strict=True):
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=tier,
                         rectify=tier == 4, remark="整改" if tier == 4 else "")
    inspection_result_record(actor=county.inspector, application=application)
    application.refresh_from_db()
    return application


def badge(body: str) -> str:
    match = re.search(r'id="plan-status">([^<]*)<', body)
    assert match, "the page shows the plan's state badge"
    return match.group(1)


def pages(county):
    plan = county.a.plan
    return {
        "plan": reverse("plans:plan_detail", args=[plan.pk]),
        "dashboard": reverse("dashboards:school", args=[plan.pk]),
        "acceptance": reverse("acceptance:plan_acceptance", args=[plan.pk]),
    }


def assert_everywhere(client, county, label: str):
    login(client, county.a.leader)
    for name, url in pages(county).items():
        assert badge(client.get(url).content.decode()) == label, name
    assert f"年度 · {label}" in client.get(reverse("home")).content.decode()
    login(client, county.bureau_admin)
    for name, url in pages(county).items():
        assert badge(client.get(url).content.decode()) == label, name
    school = client.get(reverse("plans:school_detail", args=[county.a.school.pk])).content.decode()
    assert f"年度 · {label}" in school
    assert label in client.get(reverse("home")).content.decode()
    assert label in client.get(reverse("dashboards:county")).content.decode()
    response = client.get(reverse("excel:county_summary"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if county.a.plan.title in r and county.a.school.name in r]
    assert rows and label in rows[0]


def test_an_accepted_plan_reads_accepted_everywhere(client, county):
    application = inspect(county, [1, 1, 1, 1])
    assert_everywhere(client, county, "公示中")
    acceptance_finalise(actor=None, application=application,
                        today=application.notice_ends_on + datetime.timedelta(days=1))
    assert Plan.objects.get(pk=county.a.plan.pk).status == Plan.Status.COMPLETED
    assert_everywhere(client, county, "已验收")
    login(client, county.a.leader)
    assert "已完成" not in badge(client.get(pages(county)["plan"]).content.decode())


def test_a_failed_plan_reads_rectifying_and_an_applied_one_in_acceptance(client, county):
    _, application = applied(county.a)
    assert_everywhere(client, county, "验收中")
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=DATE)
    assert_everywhere(client, county, "验收中")


def test_a_failed_inspection_reads_rectifying(client, county):
    inspect(county, [1, 1, 1, 4])
    assert_everywhere(client, county, "整改中")


def test_labels_cost_one_query_for_any_number_of_plans_and_none_without_acceptance(county):
    plans = [county.a.plan, county.b.plan, county.c.plan]
    with CaptureQueriesContext(connection) as none:
        label_plans(plans)
    assert len(none) == 0 and {p.state_label for p in plans} == {"实施中"}
    Plan.objects.filter(pk__in=[p.pk for p in plans]).update(status=Plan.Status.ACCEPTANCE)
    plans = list(Plan.objects.filter(pk__in=[p.pk for p in plans]))
    with CaptureQueriesContext(connection) as one:
        label_plans(plans)
    assert len(one) == 1 and {p.state_label for p in plans} == {"验收中"}
    assert plan_state_label(plans[0], "notice") == "公示中"
    assert str(Plan.Status.COMPLETED.label) == "已验收"
