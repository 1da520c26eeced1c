"""The acceptance page: who sees what, rating and applying through the page, foreign ids."""

from __future__ import annotations

import pytest
from django.urls import reverse

from acceptance.models import AcceptanceForm, SelfRating
from plans.models import Plan
from tests.acceptance.helpers import add_form, ready_to_apply
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def page(client, user, plan):
    assert client.login(username=user.username, password=PASSWORD)
    return client.get(reverse("acceptance:plan_acceptance", args=[plan.pk]))


def test_the_office_rates_through_the_page_and_sees_the_running_score(client, county):
    a = county.a
    criteria = add_form(a.plan)
    body = page(client, a.office, a.plan).content.decode()
    assert "自评得分" in body and "未评定" in body and "保存第 1 项" in body
    url = reverse("acceptance:criterion_rate", args=[a.plan.pk, criteria[0].pk])
    response = client.post(url, {"tier": "2", "note": "基本达到", "version": "0"})
    assert response.status_code == 302 and response["Location"].endswith(f"#criterion-{criteria[0].pk}")
    assert SelfRating.objects.get().tier == 2
    body = client.get(reverse("acceptance:plan_acceptance", args=[a.plan.pk])).content.decode()
    assert "2档 · 20 分" in body and "还有 3 项未评定" in body
    response = client.post(url, {"tier": "7", "version": "1"}, follow=True)
    assert "1档 至 4档" in response.content.decode() and SelfRating.objects.get().tier == 2
    response = client.post(url, {"tier": "1", "version": "0"}, follow=True)  # a stale page
    assert "已被他人修改" in response.content.decode() and SelfRating.objects.get().tier == 2


def test_members_read_but_do_not_rate(client, county):
    a = county.a
    criteria = add_form(a.plan, n=1)
    body = page(client, a.member, a.plan).content.decode()
    assert "评估要点1" in body and "保存第 1 项" not in body and "apply-button" not in body
    url = reverse("acceptance:criterion_rate", args=[a.plan.pk, criteria[0].pk])
    assert client.post(url, {"tier": "1"}).status_code == 403
    assert not SelfRating.objects.exists()


def test_another_school_and_another_county_get_404(client, county):
    a = county.a
    criteria = add_form(a.plan, n=1)
    for user in (county.b.leader, county.other_bureau_user):
        assert page(client, user, a.plan).status_code == 404
        rate = reverse("acceptance:criterion_rate", args=[a.plan.pk, criteria[0].pk])
        assert client.post(rate, {"tier": "1"}).status_code == 404
        assert client.post(reverse("acceptance:plan_apply", args=[a.plan.pk])).status_code == 404
        client.logout()
    assert not SelfRating.objects.exists() and Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACTIVE


def test_centre_school_reads_but_does_not_rate(client, county):
    b = county.b
    criteria = add_form(b.plan, n=1)
    body = page(client, county.centre_head, b.plan).content.decode()
    assert "评估要点1" in body and "保存第 1 项" not in body
    rate = reverse("acceptance:criterion_rate", args=[b.plan.pk, criteria[0].pk])
    assert client.post(rate, {"tier": "1"}).status_code == 403
    assert not SelfRating.objects.exists()


def test_the_leader_applies_through_the_page(client, county):
    a = county.a
    add_form(a.plan, n=1)
    body = page(client, a.leader, a.plan).content.decode()
    assert "暂不能申请" in body and "disabled" in body
    client.logout()
    a.plan.criteria.all().delete()
    ready_to_apply(a)
    body = page(client, a.leader, a.plan).content.decode()
    assert "暂不能申请" not in body
    response = client.post(reverse("acceptance:plan_apply", args=[a.plan.pk]), {"note": "申请验收"}, follow=True)
    body = response.content.decode()
    assert "已提交第 1 轮验收申请" in body and "学校不能再修改" in body and "保存第 1 项" not in body
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACCEPTANCE
    response = client.post(reverse("acceptance:plan_apply", args=[a.plan.pk]), follow=True)  # a double click
    assert "不能申请验收" in response.content.decode()


def test_the_deputy_may_not_apply(client, county):
    a = county.a
    ready_to_apply(a)
    page(client, a.deputy, a.plan)
    assert client.post(reverse("acceptance:plan_apply", args=[a.plan.pk])).status_code == 403
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACTIVE


def test_the_bureau_admin_sets_the_rules_and_the_school_may_not(client, county):
    a = county.a
    rules = reverse("acceptance:form_rules", args=[a.plan.pk])
    data = {"tier1_fraction": "1", "tier2_fraction": "0.75", "tier3_fraction": "0.4", "tier4_fraction": "0",
            "pass_rule": "points", "pass_mark": "90"}
    page(client, a.leader, a.plan)
    assert client.post(rules, data).status_code == 403
    client.logout()
    body = page(client, county.bureau_admin, a.plan).content.decode()
    assert "评分规则（教育局设置）" in body and "默认值" in body
    client.post(rules, {**data, "pass_mark": "abc"})
    assert not AcceptanceForm.objects.exists()
    client.post(rules, data)
    form = AcceptanceForm.objects.get()
    assert str(form.tier2_fraction) == "0.7500" and str(form.pass_mark) == "90.00"


def test_the_page_costs_the_same_queries_for_5_and_30_criteria(client, county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.acceptance.helpers import rate_all

    a = county.a
    rate_all(a, add_form(a.plan, n=5, max_score="4"))
    assert client.login(username=a.office.username, password=PASSWORD)
    url = reverse("acceptance:plan_acceptance", args=[a.plan.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    rate_all(a, add_form(a.plan, n=25, max_score="3"))
    with CaptureQueriesContext(connection) as many:
        assert "保存第 30 项" in client.get(url).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_plan_page_says_why_the_plan_is_read_only(client, county):
    from acceptance.services import application_submit

    a = county.a
    ready_to_apply(a)
    application_submit(actor=a.leader, plan=a.plan)
    assert client.login(username=a.member.username, password=PASSWORD)
    body = client.get(reverse("plans:plan_detail", args=[a.plan.pk])).content.decode()
    assert "方案已申请验收（验收中）" in body and "不能再办理任务" in body
