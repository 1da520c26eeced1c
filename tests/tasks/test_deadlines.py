"""The deadline engine (scan_deadlines) and the office's manual 催办.

In the county fixture, school a's tasks are: [0] 印发文件 (member, due in 5 days), [1] 召开会议
(member2, 2 days overdue), [2] 明确分工 (unassigned, no due date), [3] 补充图书 (member, no due date).
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from notifications.models import Notification
from tasks.deadlines import scan_deadlines, task_nudge
from tasks.models import Reminder, Task
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

R = Reminder.Kind
K = Notification.Kind


@pytest.fixture(autouse=True)
def only_school_a_has_deadlines(county):
    Notification.objects.all().delete()
    Task.objects.exclude(plan=county.a.plan).update(due_on=None)


def day(offset: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=offset)


def sent(task, **filters) -> set[tuple[str, str]]:
    rows = Notification.objects.filter(url=f"/tasks/{task.pk}/", **filters)
    return set(rows.values_list("recipient__username", "kind"))


def test_overdue_task_reminds_assignee_and_escalates_to_office_after_a_day(county):
    a = county.a
    result = scan_deadlines()
    assert result.sent == {R.OVERDUE: 1, R.ESCALATED_OFFICE: 1}
    assert sent(task=a.tasks[1]) == {("a_member2", K.OVERDUE), ("a_office", K.ESCALATION)}
    reminder = Reminder.objects.get(task=a.tasks[1], kind=R.OVERDUE)
    assert list(reminder.recipients.all()) == [a.member2] and reminder.actor is None
    note = Notification.objects.get(recipient=a.office)
    assert "已逾期2天" in note.text and note.url == f"/tasks/{a.tasks[1].pk}/" and note.plan == a.plan


def test_a_second_run_sends_nothing_new(county):
    scan_deadlines()
    before = (Reminder.objects.count(), Notification.objects.count())
    assert scan_deadlines().total == 0
    assert call_command_output("scan_deadlines").endswith("0 reminders sent (nothing new).\n")
    assert (Reminder.objects.count(), Notification.objects.count()) == before


def test_due_soon_three_days_then_one_day_before(county):
    a = county.a
    assert scan_deadlines(today=day(1)).sent[R.DUE_SOON] == 0  # due in 4 days: not yet
    assert scan_deadlines(today=day(2)).sent[R.DUE_SOON] == 1  # due in 3 days
    assert scan_deadlines(today=day(3)).sent[R.DUE_SOON] == 0  # due in 2 days: the 3-day one was sent
    assert scan_deadlines(today=day(4)).sent[R.DUE_SOON] == 1  # due tomorrow
    assert scan_deadlines(today=day(5)).sent[R.DUE_SOON] == 0  # due today: the 1-day one was sent
    steps = sorted(Reminder.objects.filter(task=a.tasks[0], kind=R.DUE_SOON).values_list("step", flat=True))
    assert steps == [1, 3]
    texts = list(Notification.objects.filter(url=f"/tasks/{a.tasks[0].pk}/").order_by("id").values_list("text", flat=True))
    assert "还有3天到期" in texts[0] and "还有1天到期" in texts[1]


def test_a_late_first_scan_sends_only_the_nearest_due_soon_reminder(county):
    result = scan_deadlines(today=day(5))  # first scan on the due date itself
    assert result.sent[R.DUE_SOON] == 1
    assert Reminder.objects.get(task=county.a.tasks[0], kind=R.DUE_SOON).step == 1
    assert "今天到期" in Notification.objects.get(url=f"/tasks/{county.a.tasks[0].pk}/").text


def test_escalation_to_the_leader_after_three_days(county):
    a = county.a
    scan_deadlines()
    result = scan_deadlines(today=day(1))  # 3 days overdue
    assert result.sent == {R.ESCALATED_LEADER: 1}
    assert sent(task=a.tasks[1], recipient=a.leader) == {("a_leader", K.ESCALATION)}


def test_escalation_thresholds_are_settings(county, settings):
    settings.DEADLINE_ESCALATE_OFFICE_DAYS = 3
    settings.DEADLINE_ESCALATE_LEADER_DAYS = 5
    assert scan_deadlines().sent == {R.OVERDUE: 1}
    assert scan_deadlines(today=day(1)).sent == {R.ESCALATED_OFFICE: 1}
    assert scan_deadlines(today=day(3)).sent[R.ESCALATED_LEADER] == 1


def test_finished_waived_and_submitted_tasks_are_not_chased(county):
    a = county.a
    Task.objects.filter(pk=a.tasks[1].pk).update(status=Task.Status.CLOSED)
    Task.objects.filter(pk=a.tasks[0].pk).update(waived=True)
    Task.objects.filter(pk=a.tasks[3].pk).update(status=Task.Status.SUBMITTED, due_on=day(-5))
    assert scan_deadlines(today=day(4)).total == 0


def test_an_unassigned_overdue_task_goes_to_the_office_as_its_owner(county):
    a = county.a
    Task.objects.filter(pk=a.tasks[2].pk).update(due_on=day(-4))
    scan_deadlines()
    # The office hears of it in its one digest of the plan (with task [1], escalated to it).
    assert sent(task=a.tasks[2]) == {("a_leader", K.ESCALATION)}
    digest = Notification.objects.get(recipient=a.office)
    assert (digest.kind, digest.url) == (K.OVERDUE, "/tasks/inbox/")
    assert "您负责的任务中1项已逾期（“明确分工”）" in digest.text and "1项他人负责的任务已逾期" in digest.text
    assert not Reminder.objects.filter(task=a.tasks[2], kind=R.ESCALATED_OFFICE).exists()
    assert "未分派" in Notification.objects.get(url=f"/tasks/{a.tasks[2].pk}/", recipient=a.leader).text


def test_a_new_due_date_is_a_new_deadline(county):
    a = county.a
    scan_deadlines()
    Task.objects.filter(pk=a.tasks[1].pk).update(due_on=day(-1))
    assert scan_deadlines().sent == {R.OVERDUE: 1, R.ESCALATED_OFFICE: 1}


def test_the_database_refuses_a_duplicate_automatic_reminder(county):
    task = county.a.tasks[1]
    Reminder.objects.create(task=task, kind=R.OVERDUE, due_on=task.due_on)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(task=task, kind=R.OVERDUE, due_on=task.due_on)
    Reminder.objects.create(task=task, kind=R.MANUAL, due_on=task.due_on)
    Reminder.objects.create(task=task, kind=R.MANUAL, due_on=task.due_on)  # manual ones may repeat


def test_a_plan_without_an_office_gets_the_escalation_once_someone_sits(county):
    from plans.models import LeadingGroupMember

    a = county.a
    LeadingGroupMember.objects.filter(plan=a.plan, role="office").delete()
    assert scan_deadlines().sent == {R.OVERDUE: 1}
    from plans.services import seat_set

    seat_set(actor=None, plan=a.plan, user=a.office, role="office")
    assert scan_deadlines().sent == {R.ESCALATED_OFFICE: 1}


def call_command_output(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_command_reports_and_loops(county):
    out = call_command_output("scan_deadlines", "--loop", "1", "--iterations", "2")
    lines = [line for line in out.splitlines() if "tasks checked" in line]
    assert len(lines) == 2 and "2 reminders sent" in lines[0] and "0 reminders sent" in lines[1]
    assert "escalated_office 1, overdue 1" in lines[0]
    with pytest.raises(CommandError):
        call_command("scan_deadlines", "--loop", "0")


def test_command_scans_as_of_a_date(county):
    assert "due_soon 1" in call_command_output("scan_deadlines", "--today", day(2).isoformat())


# --- manual 催办 ---------------------------------------------------------------------------------


def test_office_nudges_the_assignee(county, django_capture_on_commit_callbacks):
    a = county.a
    task = a.tasks[0]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reminder = task_nudge(actor=a.office, task=task, note="  请周五前\n完成 ")
    assert (reminder.kind, reminder.actor, reminder.note) == (R.MANUAL, a.office, "请周五前 完成")
    assert list(reminder.recipients.all()) == [a.member]
    entry = AuditEntry.objects.get(action="tasks.task.nudged", target_id=task.pk)
    assert entry.actor == a.office and entry.plan_id == a.plan.pk and entry.data["assignee"] == "a_member"
    note = Notification.objects.get(recipient=a.member, kind=K.NUDGE)
    assert "催办" in note.text and "附言：请周五前 完成" in note.text and note.url == f"/tasks/{task.pk}/"
    assert callbacks, "the push is scheduled after commit"


@pytest.mark.parametrize("who", ["member", "member2", "staff", "bureau_admin", "inspector", "other_leader"])
def test_only_the_plans_managers_may_nudge(county, who):
    actor = {
        "bureau_admin": county.bureau_admin,
        "inspector": county.inspector,
        "other_leader": county.b.leader,
    }.get(who) or getattr(county.a, who)
    with pytest.raises(NotAllowed):
        task_nudge(actor=actor, task=county.a.tasks[0])
    assert not Reminder.objects.exists()
    assert not AuditEntry.objects.filter(action="tasks.task.nudged").exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["leader", "deputy", "office"])
def test_leader_deputy_and_office_may_nudge(county, who):
    task_nudge(actor=getattr(county.a, who), task=county.a.tasks[0])
    assert Reminder.objects.filter(kind=R.MANUAL).count() == 1


def test_a_second_nudge_within_the_cooldown_is_refused(county):
    task_nudge(actor=county.a.office, task=county.a.tasks[0])
    with pytest.raises(DomainError, match="刚催办过"):
        task_nudge(actor=county.a.leader, task=county.a.tasks[0])
    assert Reminder.objects.count() == 1 and Notification.objects.count() == 1


def test_nudge_guards(county):
    a = county.a
    with pytest.raises(InvalidTransition, match="尚未分派"):
        task_nudge(actor=a.office, task=a.tasks[2])
    Task.objects.filter(pk=a.tasks[0].pk).update(status=Task.Status.CLOSED)
    with pytest.raises(InvalidTransition, match="已完成"):
        task_nudge(actor=a.office, task=a.tasks[0])
    with pytest.raises(InvalidTransition, match="尚未开启"):  # its stage has not opened: nothing to chase
        task_nudge(actor=a.office, task=a.tasks[3])
    Task.objects.filter(pk=a.tasks[1].pk).update(status=Task.Status.SUBMITTED)
    with pytest.raises(InvalidTransition, match="提交审核"):
        task_nudge(actor=a.office, task=a.tasks[1])
    Task.objects.filter(pk=a.tasks[1].pk).update(assignee=a.office, status=Task.Status.IN_PROGRESS)
    with pytest.raises(DomainError, match="自己"):
        task_nudge(actor=a.office, task=a.tasks[1])
    assert not Reminder.objects.exists()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_nudge_view_and_reminders_block(client, county):
    a = county.a
    task = a.tasks[1]
    scan_deadlines()
    page = reverse("tasks:task_reminders", args=[task.pk])
    body = login(client, a.office).get(page).content.decode()
    assert "逾期提醒" in body and "逾期升级至办公室" in body and "data-nudge" in body
    response = client.post(reverse("tasks:task_nudge", args=[task.pk]), {"note": "今天内完成", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert Reminder.objects.filter(task=task, kind=R.MANUAL, note="今天内完成").exists()
    body = client.get(page).content.decode()
    assert "人工催办" in body and "今天内完成" in body
    response = client.post(reverse("tasks:task_nudge", args=[task.pk]), follow=True)
    assert "刚催办过" in response.content.decode()


def test_nudge_view_refuses_members_and_hides_other_schools(client, county):
    task = county.a.tasks[0]
    login(client, county.a.member)
    assert "data-nudge" not in client.get(reverse("tasks:task_reminders", args=[task.pk])).content.decode()
    assert client.post(reverse("tasks:task_nudge", args=[task.pk])).status_code == 403
    login(client, county.c.office)
    assert client.post(reverse("tasks:task_nudge", args=[task.pk])).status_code == 404
    assert client.get(reverse("tasks:task_reminders", args=[task.pk])).status_code == 404
    assert not Reminder.objects.exists()


def test_the_template_tag_renders_the_same_block(rf, county):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = county.a.office
    html = Template("{% load task_reminders %}{% task_reminders task %}").render(
        Context({"request": request, "task": county.a.tasks[0], "csrf_token": "t"})
    )
    assert "催办记录" in html and "data-nudge" in html
