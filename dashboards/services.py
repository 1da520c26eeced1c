"""Writes of the dashboards app: indicator readings (上报指标) and their voiding (作废), the writes
of the indicator pages.

Readings are plan data (plans.models.IndicatorReading); the service lives here, above
notifications, because a report refreshes every open dashboard of the plan after commit.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.uploads import StagedFile, staged_uploads
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from plans.models import Indicator, IndicatorReading, Plan
from plans.permissions import can_void_reading, can_work_on_plan

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
        raise DomainError("方案已验收，不能再上报指标。")
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


@transaction.atomic
def reading_void(*, actor: Any, reading: IndicatorReading | int, reason: str) -> IndicatorReading:
    """Void a reading with a reason (plans.permissions.can_void_reading). It stops counting in the
    indicator's values and every rollup (IndicatorReading.objects leaves it out), the indicator page
    shows it as 已作废 with the reason, and the row and its audit entries stay. The reporter is told
    when someone else voided it; open dashboards refresh after commit. A second void is refused."""
    pk = reading.pk if isinstance(reading, IndicatorReading) else reading
    locked = (
        IndicatorReading.all_objects.select_for_update(of=("self",))
        .select_related("indicator__plan", "reported_by").filter(pk=pk).first()
    )
    if locked is None:
        raise DomainError("没有找到该读数。")
    if locked.voided_at is not None:
        raise InvalidTransition("该读数已作废。")
    if not can_void_reading(actor, locked):
        raise NotAllowed("只有上报人或方案的组长、副组长、办公室可以作废读数，且方案须仍在实施中。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写作废原因。")
    if len(reason) > 200:
        raise DomainError("作废原因不能超过 200 字。")
    locked.voided_at, locked.voided_by, locked.void_reason = timezone.now(), actor, reason
    locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
    indicator, plan = locked.indicator, locked.indicator.plan
    audit_record(
        actor=actor, action="plans.indicator.voided", target=locked, plan=plan, old=f"{locked.value:f}",
        reason=reason,
        data={"indicator": indicator.pk, "name": indicator.name, "value": f"{locked.value:f}",
              "measured_on": locked.measured_on.isoformat(), "reported_by": locked.reported_by_id},
    )
    if locked.reported_by is not None and locked.reported_by_id != actor.pk:
        notify(
            recipients=[locked.reported_by], kind=Notification.Kind.COMMENT,
            text=f"{actor} 作废了您上报的“{indicator.name}”读数 {locked.value.normalize():f}:{reason}",
            url=reverse("dashboards:indicator", args=[indicator.pk]), plan=plan, exclude=actor,
        )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return locked
