"""Rectification items in the deadline engine: the owner is reminded before the due date, the
owner, the office and the 组长 once it is late; a second scan sends nothing new; submitted items
and plans no longer rectifying are not chased; the scan command runs acceptance's sources."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from acceptance.models import RectificationItem
from acceptance.services import (
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    rectification_assign,
    rectification_submit,
)
from audit.models import AuditEntry
from notifications.models import Notification
from plans.models import Plan
from tasks.deadlines import deadline_sources, scan_deadlines
from tests.acceptance.helpers import applied
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db


def failed(county, school):
    """An inspection recorded 不合格 with two criteria to rectify: the plan is 整改中."""
    criteria, application = applied(school)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=timezone.localdate())
    for criterion, tier in zip(criteria, (1, 1, 4, 4), strict=True):
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=tier,
                         rectify=tier == 4)
    inspection_result_record(actor=county.inspector, application=application)
    return list(RectificationItem.objects.filter(plan=school.plan).order_by("pk"))


def rect_notes(user):
    return list(
        Notification.objects.filter(recipient=user, text__contains="整改项").order_by("pk").values_list("kind", "text")
    )


def rect_sent(result):
    return {kind: n for kind, n in result.sent.items() if kind.startswith("rectification.")}


def test_acceptance_registers_its_deadline_sources():
    paths = [path for path, _ in deadline_sources()]
    assert "acceptance.deadlines.rectification_deadlines" in paths
    assert "acceptance.deadlines.inspection_deadlines" in paths


def test_due_soon_then_overdue_with_escalation_each_sent_once(county):
    a = county.a
    today = timezone.localdate()
    item, other = failed(county, a)
    rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today + datetime.timedelta(days=1))
    before_owner, before_office, before_leader = rect_notes(a.member), rect_notes(a.office), rect_notes(a.leader)

    result = scan_deadlines(today=today)
    assert rect_sent(result) == {"rectification.due_soon": 1}
    new = rect_notes(a.member)[len(before_owner):]
    assert [kind for kind, _ in new] == [Notification.Kind.DUE_SOON] and "还有1天到期" in new[0][1]
    assert rect_sent(scan_deadlines(today=today)) == {}  # idempotent: nothing new the same day

    late = today + datetime.timedelta(days=5)  # 4 days overdue: owner, office (≥1) and 组长 (≥3)
    assert rect_sent(scan_deadlines(today=late)) == {
        "rectification.overdue": 1,
        "rectification.escalated_office": 1,
        "rectification.escalated_leader": 1,
    }
    assert rect_sent(scan_deadlines(today=late)) == {}
    assert rect_notes(a.member)[-1][0] == Notification.Kind.OVERDUE and "已逾期4天" in rect_notes(a.member)[-1][1]
    assert [k for k, _ in rect_notes(a.office)[len(before_office):]] == [Notification.Kind.ESCALATION]
    assert [k for k, _ in rect_notes(a.leader)[len(before_leader):]] == [Notification.Kind.ESCALATION]
    assert f"{a.member}的整改项" in rect_notes(a.leader)[-1][1]
    audit = AuditEntry.objects.filter(action="acceptance.rectification.reminded", target_id=item.pk)
    assert audit.count() == 2 and audit.filter(actor__isnull=True).count() == 2
    # The unassigned item has no owner and no due date: nothing was sent for it.
    assert RectificationItem.objects.get(pk=other.pk).reminders_sent == []


def test_a_new_due_date_re_arms_the_reminders(county):
    a = county.a
    today = timezone.localdate()
    item, _ = failed(county, a)
    rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today + datetime.timedelta(days=1))
    assert rect_sent(scan_deadlines(today=today)) == {"rectification.due_soon": 1}
    rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today + datetime.timedelta(days=3))
    assert rect_sent(scan_deadlines(today=today)) == {"rectification.due_soon": 1}
    assert rect_sent(scan_deadlines(today=today)) == {}


def test_submitted_items_and_plans_out_of_rectification_are_not_chased(county):
    a = county.a
    today = timezone.localdate()
    item, other = failed(county, a)
    rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today)
    rectification_assign(actor=a.office, item=other, owner=a.member2, due_on=today)
    rectification_submit(actor=a.member, item=item, note="已整改", upload=pdf())
    late = today + datetime.timedelta(days=10)
    assert rect_sent(scan_deadlines(today=late)) == {
        "rectification.overdue": 1,
        "rectification.escalated_office": 1,
        "rectification.escalated_leader": 1,
    }
    assert RectificationItem.objects.get(pk=item.pk).reminders_sent == []  # with the office, not its owner
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.ACCEPTANCE)  # re-applied since
    RectificationItem.objects.filter(pk=other.pk).update(reminders_sent=[])
    assert rect_sent(scan_deadlines(today=late)) == {}


def test_the_scan_command_reports_acceptance_reminders(county):
    a = county.a
    today = timezone.localdate()
    item, _ = failed(county, a)
    rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today + datetime.timedelta(days=1))
    out = io.StringIO()
    call_command("scan_deadlines", "--today", today.isoformat(), stdout=out)
    assert "rectification.due_soon 1" in out.getvalue()


def test_the_scan_reminds_the_team_before_the_inspection_date_once(county):
    a = county.a
    today = timezone.localdate()
    _, application = applied(a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=today + datetime.timedelta(days=5))
    assert scan_deadlines(today=today).sent.get("inspection.reminder", 0) == 0  # not within two days yet
    day_before = today + datetime.timedelta(days=4)
    assert scan_deadlines(today=day_before).sent["inspection.reminder"] == 1
    assert scan_deadlines(today=day_before).sent.get("inspection.reminder", 0) == 0
    assert Notification.objects.filter(recipient=county.inspector, text__contains="评估验收定于").count() == 1
