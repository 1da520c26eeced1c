"""Voiding an indicator reading: who may, a reason, it stops counting everywhere, it stays in the
history as 已作废."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from dashboards import selectors
from dashboards.services import indicator_report, reading_void
from history.sentences import describe
from notifications.models import Notification
from plans.models import IndicatorReading
from plans.selectors import plan_indicators

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def readings(county):
    ind = county.a.indicator
    yesterday = TODAY() - timezone.timedelta(days=1)
    good = indicator_report(actor=county.a.member, indicator=ind, value="20", measured_on=yesterday)
    wrong = indicator_report(actor=county.a.member, indicator=ind, value="30", measured_on=TODAY())
    return good, wrong


def test_a_voided_reading_drops_out_of_values_and_rollups(county, readings):
    good, wrong = readings
    plan = county.a.plan
    assert plan_indicators(plan)[0].latest == wrong
    reading_void(actor=county.a.member, reading=wrong, reason="单位填错(应为 3.0 册)")
    assert plan_indicators(plan)[0].latest == good
    status = selectors.plan_indicator_statuses(plan)[0]
    assert [r.pk for r in status.readings] == [good.pk] and status.met is False
    assert list(IndicatorReading.objects.filter(indicator=county.a.indicator)) == [good]
    assert IndicatorReading.all_objects.filter(pk=wrong.pk).exists()  # never deleted
    # the county dashboard's rollup reads the latest counting reading: 20 < 25, not met
    row = next(r for r in selectors.county_dashboard(county.bureau_admin).rows if r.school == county.a.school)
    assert (row.indicators_reported, row.indicators_met) == (1, 0)


def test_the_void_is_audited_and_reads_as_a_sentence(county, readings, django_capture_on_commit_callbacks, monkeypatch):
    told = []
    monkeypatch.setattr("notifications.push.plan_changed", told.append)
    _, wrong = readings
    with django_capture_on_commit_callbacks(execute=True):
        reading_void(actor=county.a.office, reading=wrong, reason="重复上报")
    entry = AuditEntry.objects.get(action="plans.indicator.voided")
    assert (entry.actor, entry.target_id, entry.reason, entry.data["value"]) == (county.a.office, wrong.pk, "重复上报", "30.0000")
    text = describe([entry])[0].sentence
    assert "作废指标读数" in text and "生均图书" in text and "30.0000" in text and "重复上报" in text
    assert Notification.objects.filter(recipient=county.a.member, text__contains="作废").exists()
    assert told == [county.a.plan.pk]


def test_the_indicator_page_shows_it_as_voided_with_the_reason(county, readings, client):
    _, wrong = readings
    reading_void(actor=county.a.member, reading=wrong, reason="单位填错")
    client.force_login(county.a.leader)
    page = client.get(reverse("dashboards:indicator", args=[county.a.indicator.pk])).content.decode()
    assert "已作废" in page and "单位填错" in page
    # the latest value shown is the counting one
    kpi = page.split('class="kpis"')[1].split("</div>\n</div>")[0]
    assert "20" in kpi and "30" not in kpi


@pytest.mark.parametrize("who", ["member2", "staff", "b_leader"])
def test_others_may_not_void_and_nothing_changes(county, readings, who):
    actor = county.b.leader if who == "b_leader" else getattr(county.a, who)
    _, wrong = readings
    with pytest.raises(NotAllowed):
        reading_void(actor=actor, reading=wrong, reason="x")
    wrong.refresh_from_db()
    assert wrong.voided_at is None and not AuditEntry.objects.filter(action="plans.indicator.voided").exists()


def test_a_reason_is_required(county, readings):
    with pytest.raises(DomainError, match="作废原因"):
        reading_void(actor=county.a.member, reading=readings[1], reason="  ")
    readings[1].refresh_from_db()
    assert readings[1].voided_at is None


def test_a_double_submit_voids_once(county, readings, client):
    client.force_login(county.a.member)
    url = reverse("dashboards:reading_void", args=[readings[1].pk])
    assert client.post(url, {"reason": "错"}).status_code == 302
    assert "该读数已作废" in client.post(url, {"reason": "错"}, follow=True).content.decode()
    assert AuditEntry.objects.filter(action="plans.indicator.voided").count() == 1
    with pytest.raises(InvalidTransition):
        reading_void(actor=county.a.member, reading=readings[1], reason="错")


def test_another_schools_reading_is_404(county, readings, client):
    client.force_login(county.b.leader)
    assert client.post(reverse("dashboards:reading_void", args=[readings[1].pk]), {"reason": "x"}).status_code == 404
    readings[1].refresh_from_db()
    assert readings[1].voided_at is None


def test_a_member_cannot_void_someone_elses_reading_but_the_office_can(county, client):
    theirs = indicator_report(actor=county.a.member2, indicator=county.a.indicator, value="26", measured_on=TODAY())
    client.force_login(county.a.member)
    url = reverse("dashboards:reading_void", args=[theirs.pk])
    page = client.get(reverse("dashboards:indicator", args=[county.a.indicator.pk])).content.decode()
    assert url not in page
    assert client.post(url, {"reason": "x"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.voided_at is None
    client.force_login(county.a.office)
    assert url in client.get(reverse("dashboards:indicator", args=[county.a.indicator.pk])).content.decode()
    assert client.post(url, {"reason": "核实有误"}).status_code == 302
    theirs = IndicatorReading.all_objects.get(pk=theirs.pk)
    assert theirs.voided_at is not None and theirs.value == Decimal("26")
