"""The demo county shows every acceptance state: accepted with its certificate, rectifying after a
failed inspection, still implementing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from acceptance.models import Application, RectificationItem
from demo.data import DEMO_PASSWORD
from plans.models import Plan

pytestmark = pytest.mark.django_db


def test_demo_plans_show_each_acceptance_state(client):
    call_command("seed_demo", quiet_logins=True)
    states = dict(Plan.objects.values_list("school__code", "status"))
    assert states == {"sfx-syxx": "completed", "qsz-zx": "rectifying", "sfx-yz": "active"}
    accepted = Application.objects.get(plan__school__code="sfx-syxx", kind="round")
    assert accepted.status == "accepted" and accepted.final_score >= 85 and accepted.certificate_ref
    # The city's spot check of the accepted school passed: the plan stays accepted.
    spot = Application.objects.get(plan__school__code="sfx-syxx", kind="spot")
    assert spot.status == "passed" and spot.final_score >= 85 and spot.applied_by.username == "city_admin"
    failed = Application.objects.get(plan__school__code="qsz-zx")
    assert failed.status == "failed" and failed.final_score < 85
    assert RectificationItem.objects.filter(plan=failed.plan).count() == 2
    assert client.login(username="syxx_principal", password=DEMO_PASSWORD)
    response = client.get(reverse("acceptance:certificate", args=[accepted.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    client.logout()
    assert client.login(username="jyj_admin", password=DEMO_PASSWORD)
    body = client.get(reverse("acceptance:overview")).content.decode()
    assert "已验收" in body and "整改中" in body and "未申请" in body
    client.logout()
    assert client.login(username="city_admin", password=DEMO_PASSWORD)
    body = client.get(reverse("acceptance:plan_acceptance", args=[spot.plan_id])).content.decode()
    assert "抽检合格" in body and "郁知衡" in body
