"""Archive gaps two weeks before the inspection: the office and the 组长 are told, once per date."""

from __future__ import annotations

import datetime

import pytest

from acceptance.models import Application
from archives.models import GapReminder
from archives.reminders import archive_gaps_remind
from audit.models import AuditEntry
from notifications.models import Notification
from plans.models import Plan
from tests.archives.helpers import opened

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 30)


def inspection(school, days: int, status=Application.Status.INSPECTING):
    return Application.objects.create(plan=school.plan, applied_by=school.leader, status=status,
                                      inspection_date=TODAY + datetime.timedelta(days=days))


def test_gaps_are_reminded_once_per_inspection_date(county, django_capture_on_commit_callbacks):
    a = county.a
    opened(a)
    application = inspection(a, 10)
    with django_capture_on_commit_callbacks(execute=True):
        assert archive_gaps_remind(today=TODAY) == 1
    notes = Notification.objects.filter(plan=a.plan, text__contains="档案尚有")
    assert {n.recipient_id for n in notes} == {a.office.pk, a.leader.pk}
    assert "20 项缺失" in notes.first().text and notes.first().url == f"/archives/plans/{a.plan.pk}/"
    assert AuditEntry.objects.filter(action="archives.gaps.reminded", plan_id=a.plan.pk).count() == 1
    assert archive_gaps_remind(today=TODAY) == 0  # a second scan sends nothing new
    Application.objects.filter(pk=application.pk).update(inspection_date=TODAY + datetime.timedelta(days=12))
    assert archive_gaps_remind(today=TODAY) == 1  # a changed date re-arms
    assert GapReminder.objects.filter(plan=a.plan).count() == 2


def test_no_reminder_far_from_the_date_after_it_or_once_accepted(county):
    opened(county.a)
    application = inspection(county.a, 20)
    assert archive_gaps_remind(today=TODAY) == 0
    Application.objects.filter(pk=application.pk).update(inspection_date=TODAY - datetime.timedelta(days=1))
    assert archive_gaps_remind(today=TODAY) == 0
    Application.objects.filter(pk=application.pk).update(inspection_date=TODAY, status=Application.Status.ACCEPTED)
    assert archive_gaps_remind(today=TODAY) == 0
    assert not GapReminder.objects.exists() and not Notification.objects.filter(text__contains="档案尚有").exists()


def test_a_city_spot_check_sends_no_archive_reminder(county):
    """抽检 comes after acceptance, when the archive is frozen: the school can file nothing."""
    opened(county.a)
    spot = inspection(county.a, 10)
    Application.objects.filter(pk=spot.pk).update(kind=Application.Kind.SPOT)
    Plan.objects.filter(pk=county.a.plan.pk).update(status=Plan.Status.COMPLETED)  # only accepted plans are spot-checked
    assert archive_gaps_remind(today=TODAY) == 0
    assert not Notification.objects.filter(text__contains="档案尚有").exists()


def test_the_deadline_scan_runs_the_archive_reminders(county, django_capture_on_commit_callbacks):
    """The serve loop runs scan_deadlines, not archive_reminders: the archive app is a deadline source."""
    from tasks.deadlines import deadline_sources, scan_deadlines

    assert "archives.reminders.archive_gap_deadlines" in [path for path, _ in deadline_sources()]
    opened(county.a)
    inspection(county.a, 10)
    with django_capture_on_commit_callbacks(execute=True):
        result = scan_deadlines(today=TODAY)
    assert result.sent["archive.gaps"] == 1 and not result.failed
    assert scan_deadlines(today=TODAY).sent["archive.gaps"] == 0
