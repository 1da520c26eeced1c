"""Indicators (指标): reporting dated readings with evidence, and the status figures every page shows
(latest value, met / not met, distance to target)."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from plans.audit import audit_record
from plans.errors import DomainError, NotAllowed
from plans.models import Indicator, IndicatorReading, Plan
from plans.permissions import can_work_on_plan

EVIDENCE_EXTENSIONS = frozenset(
    {".pdf", ".ofd", ".jpg", ".jpeg", ".png", ".webp", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".txt"}
)
VALUE_QUANTUM = Decimal("0.0001")  # IndicatorReading.value has four decimal places
VALUE_LIMIT = Decimal("10") ** 10  # and at most ten digits before the point
EARLIEST_READING = datetime.date(2000, 1, 1)


# --- status -------------------------------------------------------------------------------------


@dataclass
class IndicatorStatus:
    """An indicator with its readings (oldest first) and what the latest one says about the target."""

    indicator: Indicator
    readings: list[IndicatorReading]

    @property
    def latest(self) -> IndicatorReading | None:
        return self.readings[-1] if self.readings else None

    @property
    def met(self) -> bool | None:
        """True / False against the target; None without readings."""
        return self.indicator.is_met_by(self.latest.value if self.latest else None)

    @property
    def distance(self) -> Decimal | None:
        """How far the latest value is on the good side of the target (negative: short of it)."""
        if self.latest is None:
            return None
        value, target = self.latest.value, self.indicator.target
        return value - target if self.indicator.direction == Indicator.Direction.AT_LEAST else target - value

    @property
    def distance_percent(self) -> float | None:
        """The distance relative to the target, None for a target of zero (no division by zero)."""
        distance = self.distance
        if distance is None or not self.indicator.target:
            return None
        return float(distance / abs(self.indicator.target) * 100)

    @property
    def distance_text(self) -> str:
        distance = self.distance
        if distance is None:
            return "暂无数据"
        unit = self.indicator.unit
        if distance == 0:
            return "恰好达到目标"
        amount = format_number(abs(distance))
        return f"优于目标 {amount}{unit}" if distance > 0 else f"距目标还差 {amount}{unit}"

    @property
    def target_text(self) -> str:
        return f"{self.indicator.get_direction_display()} {format_number(self.indicator.target)}{self.indicator.unit}"

    @property
    def sparkline(self) -> str:
        from plans.charts import sparkline

        return sparkline(self)

    @property
    def history_chart(self) -> str:
        from plans.charts import indicator_history

        return indicator_history(self)


def indicator_status(indicator: Indicator, readings: list[IndicatorReading]) -> IndicatorStatus:
    """Status from readings in any order: they are sorted oldest first (date, then report order)."""
    return IndicatorStatus(indicator=indicator, readings=sorted(readings, key=lambda r: (r.measured_on, r.pk or 0)))


def format_number(value: Decimal | float | int | None, places: int = 4) -> str:
    """A plain number for people: no exponent, no trailing zeros, at most ``places`` decimals."""
    if value is None:
        return "—"
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- reporting ----------------------------------------------------------------------------------


def can_report_indicator(user: Any, indicator: Indicator) -> bool:
    """Any seat of the plan's leading group may report, while the plan is not completed."""
    return can_work_on_plan(user, indicator.plan) and indicator.plan.status != Plan.Status.COMPLETED


def _clean_value(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError("实际值必须是数字。") from None
    if not number.is_finite():
        raise DomainError("实际值必须是有限的数字。")
    if number < 0:
        raise DomainError("实际值不能为负数。")
    number = number.quantize(VALUE_QUANTUM, rounding=ROUND_HALF_UP)
    if number >= VALUE_LIMIT:
        raise DomainError("实际值过大,请检查单位。")
    return number


def _clean_date(measured_on: Any) -> datetime.date:
    if not isinstance(measured_on, datetime.date):
        raise DomainError("请填写测量日期。")
    if measured_on > timezone.localdate():
        raise DomainError("测量日期不能晚于今天。")
    if measured_on < EARLIEST_READING:
        raise DomainError("测量日期过早,请检查。")
    return measured_on


def _renamed_evidence(indicator: Indicator, evidence: UploadedFile) -> tuple[UploadedFile, str]:
    """Check size and type; the stored name never reuses the uploader's file name."""
    original = os.path.basename(evidence.name or "")[:200]
    ext = os.path.splitext(original)[1].lower()
    if ext not in EVIDENCE_EXTENSIONS:
        raise DomainError("佐证材料只接受 PDF、OFD、图片、Word、Excel、PPT 或文本文件。")
    if not evidence.size:
        raise DomainError("佐证材料是空文件。")
    if evidence.size > settings.EVIDENCE_MAX_BYTES:
        raise DomainError(f"佐证材料不能超过 {settings.EVIDENCE_MAX_BYTES // (1024 * 1024)} MB。")
    evidence.name = f"{indicator.pk}-{timezone.now():%Y%m%d%H%M%S%f}{ext}"
    return evidence, original


@transaction.atomic
def indicator_report(
    *,
    actor: Any,
    indicator: Indicator,
    value: Any,
    measured_on: datetime.date,
    note: str = "",
    evidence: UploadedFile | None = None,
) -> IndicatorReading:
    """Record a dated actual value of an indicator, with optional evidence, and audit it.

    The actor must hold a seat on the plan's leading group (None only for system jobs); the plan
    must not be completed. Values are non-negative with at most four decimals (rounded half up);
    the date may not lie in the future. Open dashboards are told after commit.
    """
    indicator = Indicator.objects.select_related("plan").get(pk=indicator.pk)
    plan = indicator.plan
    if actor is not None and not can_work_on_plan(actor, plan):
        raise NotAllowed("只有该方案领导小组的成员可以上报指标。")
    if plan.status == Plan.Status.COMPLETED:
        raise DomainError("方案已完成,不能再上报指标。")
    number = _clean_value(value)
    day = _clean_date(measured_on)
    note = (note or "").strip()
    if len(note) > 200:
        raise DomainError("说明不能超过 200 字。")
    original_name = ""
    if evidence is not None:
        evidence, original_name = _renamed_evidence(indicator, evidence)
    reading = IndicatorReading.objects.create(
        indicator=indicator, value=number, measured_on=day, reported_by=actor, note=note, evidence=evidence or ""
    )
    audit_record(
        actor=actor,
        action="plans.indicator.reported",
        target=reading,
        plan=plan,
        new=f"{number:f}",
        data={
            "indicator": indicator.pk,
            "name": indicator.name,
            "value": f"{number:f}",
            "measured_on": day.isoformat(),
            "met": indicator.is_met_by(number),
            "evidence": original_name,
        },
    )
    transaction.on_commit(lambda: _plan_changed(plan.pk))
    return reading


def _plan_changed(plan_id: int) -> None:
    from notifications.push import plan_changed

    plan_changed(plan_id)
