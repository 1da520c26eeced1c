"""Writes of the dashboards app: indicator readings (上报指标), the one write of the indicator pages.

Readings are plan data (plans.models.IndicatorReading); the service lives here, above
notifications, because a report refreshes every open dashboard of the plan after commit.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from core.uploads import StagedFile, staged_uploads
from notifications import push
from plans.models import Indicator, IndicatorReading, Plan
from plans.permissions import can_work_on_plan

VALUE_QUANTUM = Decimal("0.0001")  # IndicatorReading.value has four decimal places
VALUE_LIMIT = Decimal("10") ** 10  # and at most ten digits before the point
EARLIEST_READING = datetime.date(2000, 1, 1)


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
        raise DomainError("实际值过大，请检查单位。")
    return number


def _clean_date(measured_on: Any) -> datetime.date:
    if not isinstance(measured_on, datetime.date):
        raise DomainError("请填写测量日期。")
    if measured_on > timezone.localdate():
        raise DomainError("测量日期不能晚于今天。")
    if measured_on < EARLIEST_READING:
        raise DomainError("测量日期过早，请检查。")
    return measured_on


def _reading_path(indicator: Indicator, extension: str) -> str:
    # The stored name never reuses the uploader's file name (core.uploads).
    now = timezone.now()
    return f"indicator-evidence/{now:%Y/%m}/{indicator.pk}-{now:%Y%m%d%H%M%S%f}.{extension}"


def indicator_report(
    *,
    actor: Any,
    indicator: Indicator,
    value: Any,
    measured_on: datetime.date,
    note: str = "",
    evidence: Any = None,
) -> IndicatorReading:
    """Record a dated actual value of an indicator, with optional evidence, and audit it.

    The actor must hold a seat on the plan's leading group (None only for system jobs); the plan
    must not be completed. Values are non-negative with at most four decimals (rounded half up);
    the date may not lie in the future. The evidence file passes the one upload policy
    (core.uploads) and is stored before the transaction; a refused report removes it again.
    Open dashboards are told after commit.
    """
    storage = IndicatorReading._meta.get_field("evidence").storage
    uploads = [evidence] if evidence is not None else []
    with staged_uploads(uploads, storage=storage, path_for=lambda f: _reading_path(indicator, f.extension)) as staged:
        return _indicator_report(
            actor=actor, indicator=indicator, value=value, measured_on=measured_on, note=note, staged=staged
        )


@transaction.atomic
def _indicator_report(
    *, actor: Any, indicator: Indicator, value: Any, measured_on: datetime.date, note: str, staged: list[StagedFile]
) -> IndicatorReading:
    indicator = Indicator.objects.select_related("plan").get(pk=indicator.pk)
    plan = indicator.plan
    if actor is not None and not can_work_on_plan(actor, plan):
        raise NotAllowed("只有该方案领导小组的成员可以上报指标。")
    if plan.status == Plan.Status.COMPLETED:
        raise DomainError("方案已完成，不能再上报指标。")
    number = _clean_value(value)
    day = _clean_date(measured_on)
    note = (note or "").strip()
    if len(note) > 200:
        raise DomainError("说明不能超过 200 字。")
    file = staged[0] if staged else None
    reading = IndicatorReading.objects.create(
        indicator=indicator,
        value=number,
        measured_on=day,
        reported_by=actor,
        note=note,
        evidence=file.stored_name if file else "",
        evidence_sha256=file.sha256 if file else "",
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
            "evidence": file.original_name if file else "",
            **({"file": file.stored_name, "sha256": file.sha256} if file else {}),
        },
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return reading
