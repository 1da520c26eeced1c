"""Rectification reminders follow the deadline engine's digest rule (issue 15, point 1): several
items of one plan make one notification per person and scan, each item still recorded."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from acceptance.models import RectificationItem
from acceptance.services import rectification_assign
from audit.models import AuditEntry
from notifications.models import Notification
from tasks.deadlines import scan_deadlines
from tests.acceptance.test_rectification_deadlines import failed, rect_notes, rect_sent

pytestmark = pytest.mark.django_db

K = Notification.Kind


def test_two_late_items_of_one_owner_make_one_digest_each(county):
    a = county.a
    today = timezone.localdate()
    items = failed(county, a)
    assert len(items) == 2
    for item in items:
        rectification_assign(actor=a.office, item=item, owner=a.member, due_on=today + datetime.timedelta(days=1))
    before = {u.pk: len(rect_notes(u)) for u in (a.member, a.office, a.leader)}

    late = today + datetime.timedelta(days=5)  # 4 days late: owner, office and 组长
    assert rect_sent(scan_deadlines(today=late)) == {
        "rectification.overdue": 2,
        "rectification.escalated_office": 2,
        "rectification.escalated_leader": 2,
    }
    (owner,) = rect_notes(a.member)[before[a.member.pk]:]
    assert owner[0] == K.OVERDUE and owner[1].startswith("有2项整改项需要处理：您负责的整改项中2项已逾期")
    for chaser in (a.office, a.leader):
        (note,) = rect_notes(chaser)[before[chaser.pk]:]
        assert note[0] == K.ESCALATION and "2项他人负责的整改项已逾期" in note[1]
    for item in RectificationItem.objects.filter(pk__in=[i.pk for i in items]):
        assert len(item.reminders_sent) == 3
    assert AuditEntry.objects.filter(action="acceptance.rectification.reminded").count() == 2
    assert rect_sent(scan_deadlines(today=late)) == {}
