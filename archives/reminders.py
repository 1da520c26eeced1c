"""Reminding the office of archive gaps before the inspection: run by the deadline engine's scan
(``scan_deadlines``, and so by the serve loop) or alone by ``manage.py archive_reminders``. A
system job: no actor; each reminder is an audit row and a notification to the plan's 组长 and
办公室主任."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from acceptance.models import Application
from archives.models import GapReminder
from archives.permissions import FILING_ROLES
from archives.rules import archive_frozen
from archives.selectors import ArchiveSummary, plan_summaries
from audit.services import audit_record
from notifications.models import Notification
from notifications.services import notify
from plans.models import LeadingGroupMember, Plan

LEAD_DAYS = 14


def archive_gaps_remind(*, today: datetime.date | None = None) -> int:
    """Tell the office of every plan whose inspection date is at most two weeks away (and not past)
    and whose archive still has items 缺失 or 部分. Once per plan and inspection date. Returns how
    many plans were reminded."""
    today = today or timezone.localdate()
    rounds = Application.objects.filter(
        status__in=(Application.Status.APPLIED, Application.Status.INSPECTING),
        inspection_date__gte=today,
        inspection_date__lte=today + datetime.timedelta(days=LEAD_DAYS),
    ).values_list("plan_id", "inspection_date")
    dates = {plan_id: date for plan_id, date in rounds if date is not None}
    # A frozen archive (an accepted plan, e.g. under a city's spot check) can take no filing.
    plans = {p.pk: p for p in Plan.objects.filter(pk__in=dates).select_related("school") if not archive_frozen(p)}
    sent = 0
    for plan_id, summary in plan_summaries(list(plans.values())).items():
        if summary.missing or summary.partial:
            sent += _remind(plans[plan_id], dates[plan_id], summary)
    return sent


def archive_gap_deadlines(*, today: datetime.date) -> dict[str, int]:
    """The deadline engine's entry (AppConfig.deadline_sources): idempotent, once per plan and date."""
    sent = archive_gaps_remind(today=today)
    return {"archive.gaps": sent} if sent else {}


def _remind(plan: Plan, date: datetime.date, summary: ArchiveSummary) -> int:
    plan_id = plan.pk
    try:
        with transaction.atomic():
            reminder = GapReminder.objects.create(
                plan_id=plan_id, inspection_date=date, missing=summary.missing, partial=summary.partial
            )
            audit_record(
                actor=None,
                action="archives.gaps.reminded",
                target=reminder,
                plan=plan_id,
                data={"inspection_date": date.isoformat(), "missing": summary.missing, "partial": summary.partial},
            )
            office = LeadingGroupMember.objects.filter(plan_id=plan_id, role__in=FILING_ROLES).select_related("user")
            notify(
                recipients=[seat.user for seat in office],
                kind=Notification.Kind.ACCEPTANCE,
                text=f"验收日期 {date:%Y-%m-%d} 前档案尚有 {summary.missing} 项缺失、{summary.partial} 项不全，请尽快补齐。",
                url=f"/archives/plans/{plan_id}/",
                plan=plan,
            )
    except IntegrityError:
        return 0  # reminded already for this date (perhaps by another scanner at the same moment)
    return 1
