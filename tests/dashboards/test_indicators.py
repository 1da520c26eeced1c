"""Indicator readings: who may report, validation, evidence, audit, and the status figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from dashboards.formatting import format_number
from dashboards.indicators import indicator_status
from dashboards.services import indicator_report
from plans import services
from plans.models import Indicator, IndicatorReading, Plan

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def pdf(name="台账.pdf", size=64):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, content_type="application/pdf")


@pytest.mark.parametrize("role", ["leader", "deputy", "office", "member"])
def test_every_seat_of_the_leading_group_may_report(county, role, django_capture_on_commit_callbacks, monkeypatch):
    told = []
    monkeypatch.setattr("notifications.push.plan_changed", told.append)
    indicator = county.a.indicator
    actor = getattr(county.a, role)
    with django_capture_on_commit_callbacks(execute=True):
        reading = indicator_report(
            actor=actor, indicator=indicator, value="26.5", measured_on=TODAY(), note="图书室盘点", evidence=pdf()
        )
    assert reading.value == Decimal("26.5") and reading.reported_by == actor
    entry = AuditEntry.objects.get(action="plans.indicator.reported")
    assert (entry.actor, entry.plan_id, entry.target_id) == (actor, indicator.plan_id, reading.pk)
    assert entry.data["met"] is True and entry.data["evidence"] == "台账.pdf"
    assert told == [indicator.plan_id]


@pytest.mark.parametrize(
    "who",
    ["a_staff", "b_leader", "c_leader", "bureau_admin", "inspector", "centre_head"],
)
def test_others_may_not_report_and_nothing_changes(county, who):
    actor = {
        "a_staff": county.a.staff,
        "b_leader": county.b.leader,
        "c_leader": county.c.leader,
        "bureau_admin": county.bureau_admin,
        "inspector": county.inspector,
        "centre_head": county.centre_head,
    }[who]
    with pytest.raises(NotAllowed):
        indicator_report(actor=actor, indicator=county.a.indicator, value=30, measured_on=TODAY())
    assert not IndicatorReading.objects.exists()
    assert not AuditEntry.objects.filter(action="plans.indicator.reported").exists()


@pytest.mark.parametrize(
    ("value", "measured_on", "message"),
    [
        ("abc", 0, "数字"),
        ("NaN", 0, "有限"),
        ("Infinity", 0, "有限"),
        ("-1", 0, "负数"),
        ("12345678901", 0, "过大"),
        ("3", 1, "晚于今天"),
        ("3", None, "测量日期"),
    ],
)
def test_bad_values_and_dates_are_refused(county, value, measured_on, message):
    day = None if measured_on is None else TODAY() + datetime.timedelta(days=measured_on)
    with pytest.raises(DomainError, match=message):
        indicator_report(actor=county.a.member, indicator=county.a.indicator, value=value, measured_on=day)
    assert not IndicatorReading.objects.exists()


def test_values_are_rounded_to_four_places(county):
    reading = indicator_report(
        actor=county.a.member, indicator=county.a.indicator, value="1.234567", measured_on=TODAY()
    )
    reading.refresh_from_db()
    assert reading.value == Decimal("1.2346")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("run.exe", b"MZ"), "不支持"),
        (SimpleUploadedFile("empty.pdf", b""), "空文件"),
        # One upload policy with task evidence (core.uploads): the content must match the extension.
        (SimpleUploadedFile("renamed.pdf", b"MZ\x90\x00 not a pdf"), "不符"),
    ],
)
def test_bad_evidence_is_refused(county, upload, message):
    with pytest.raises(DomainError, match=message):
        indicator_report(
            actor=county.a.member, indicator=county.a.indicator, value=1, measured_on=TODAY(), evidence=upload
        )
    assert not IndicatorReading.objects.exists()


def test_oversized_evidence_is_refused(county, settings):
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(DomainError, match="超过"):
        indicator_report(
            actor=county.a.member, indicator=county.a.indicator, value=1, measured_on=TODAY(), evidence=pdf(size=100)
        )


def test_evidence_is_stored_under_a_name_of_our_own(county):
    reading = indicator_report(
        actor=county.a.member,
        indicator=county.a.indicator,
        value=1,
        measured_on=TODAY(),
        evidence=pdf("../../etc/passwd.pdf"),
    )
    assert reading.evidence.name.startswith("indicator-evidence/")
    assert "passwd" not in reading.evidence.name and reading.evidence.name.endswith(".pdf")
    assert AuditEntry.objects.get(action="plans.indicator.reported").data["evidence"] == "passwd.pdf"


def test_a_completed_plan_takes_no_more_readings(county):
    Plan.objects.filter(pk=county.a.plan.pk).update(status=Plan.Status.COMPLETED)
    with pytest.raises(DomainError, match="已验收"):
        indicator_report(actor=county.a.leader, indicator=county.a.indicator, value=1, measured_on=TODAY())


def _reading(indicator, value, day, pk):
    return IndicatorReading(pk=pk, indicator=indicator, value=Decimal(str(value)), measured_on=day)


def test_status_uses_the_latest_reading_by_date_then_report_order(county):
    ind = county.a.indicator  # 生均图书 ≥ 25 册
    day = datetime.date(2026, 3, 1)
    status = indicator_status(
        ind,
        [_reading(ind, 27, day, 3), _reading(ind, 20, day - datetime.timedelta(days=9), 9), _reading(ind, 24, day, 2)],
    )
    assert status.latest.value == 27 and status.met is True
    assert status.distance == 2 and status.distance_text == "优于目标 2册"
    assert status.distance_percent == pytest.approx(8)
    assert "<svg" in status.sparkline and "<svg" in status.history_chart


def test_status_without_readings(county):
    status = indicator_status(county.a.indicator, [])
    assert status.latest is None and status.met is None and status.distance is None
    assert status.distance_text == "暂无数据"
    assert status.sparkline == "" and status.history_chart == ""


def test_a_target_of_zero_with_direction_at_most(county):
    ind = services.indicator_create(
        actor=None,
        plan=county.a.plan,
        name="安全事故",
        unit="起",
        direction=Indicator.Direction.AT_MOST,
        target=Decimal(0),
    )
    day = datetime.date(2026, 3, 1)
    zero = indicator_status(ind, [_reading(ind, 0, day, 1)])
    assert zero.met is True and zero.distance == 0 and zero.distance_percent is None
    assert zero.distance_text == "恰好达到目标" and zero.target_text == "≤ 0起"
    one = indicator_status(ind, [_reading(ind, 0, day, 1), _reading(ind, 1, day, 2)])
    assert one.met is False and one.distance_text == "距目标还差 1起" and one.distance_percent is None
    assert "NaN" not in one.history_chart and "nan" not in one.sparkline


def test_format_number_never_shows_exponents_or_trailing_zeros():
    assert format_number(Decimal("25.0000")) == "25"
    assert format_number(Decimal("1E+1")) == "10"
    assert format_number(Decimal("0.50")) == "0.5"
    assert format_number(Decimal("-0.00001")) == "0"
    assert format_number(Decimal("2.345"), 2) == "2.35"
    assert format_number(None) == "—"


def test_a_refused_report_leaves_no_stored_file(county, settings, tmp_path):
    """The evidence is stored before the transaction; a report refused after that removes it again."""
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(DomainError, match="负数"):
        indicator_report(
            actor=county.a.member, indicator=county.a.indicator, value=-1, measured_on=TODAY(), evidence=pdf()
        )
    assert not IndicatorReading.objects.exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
