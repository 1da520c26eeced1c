"""The deadline engine (到期提醒, 逾期提醒, 逾期升级) and the office's manual 催办.

Every reminder is a Reminder row (shown on the task) plus notifications. The engine is idempotent
by construction: the row's unique constraint admits one reminder per (task, kind, step, due date),
and the notification is only written in the same savepoint as a row that was actually inserted.

Apps above tasks that keep deadlines of their own (acceptance's rectification items) declare a
scan on their AppConfig, ``deadline_sources = ("app.module.function", ...)``: each is called as
``function(today=date)`` after the tasks' scan, returns the reminders it sent by kind, and follows
the same rule (``deadline_steps``) and the same promise (a second scan sends nothing new).
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.services import audit_record
from core.errors import DomainError
from notifications.models import Notification
from notifications.services import notify
from plans.models import LeadingGroupMember, Measure, Plan
from tasks.models import Reminder, Task
from tasks.rules import check_task_action

logger = logging.getLogger(__name__)

Role = LeadingGroupMember.Role

# Tasks waiting for review are with the reviewers, not the assignee: they are not chased.
CHASED_STATUSES = (Task.Status.UNASSIGNED, Task.Status.ASSIGNED, Task.Status.IN_PROGRESS, Task.Status.RETURNED)
LIVE_PLAN_STATUSES = (Plan.Status.ACTIVE, Plan.Status.ACCEPTANCE, Plan.Status.RECTIFYING)
# A second manual 催办 of the same task within this window is refused (double clicks, impatience).
NUDGE_COOLDOWN = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class DueReminder:
    """A reminder the engine owes for one task today."""

    task: Task
    kind: str
    step: int
    recipients: tuple[Any, ...]
    notification_kind: str
    text: str

    @property
    def key(self) -> tuple[int, str, int, datetime.date | None]:
        return (self.task.pk, self.kind, self.step, self.task.due_on)


@dataclass
class ScanResult:
    today: datetime.date
    tasks_checked: int = 0
    sent: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)  # the deadline sources that raised

    @property
    def total(self) -> int:
        return sum(self.sent.values())


DeadlineSource = Callable[..., Mapping[str, int]]


@cache
def deadline_sources() -> tuple[tuple[str, DeadlineSource], ...]:
    """The scans declared by installed apps (``AppConfig.deadline_sources``), by dotted path."""
    return tuple(
        (path, import_string(path))
        for config in apps.get_app_configs()
        for path in getattr(config, "deadline_sources", ())
    )


def scan_deadlines(*, today: datetime.date | None = None) -> ScanResult:
    """Send every reminder due by ``today`` (local date) that was not sent before, for tasks and
    for every registered deadline source; returns counts.

    Safe to run at any time, twice, or in two processes at once: nothing is sent twice. A source
    that fails is logged and named in ``failed``; the others still run (each commits on its own).
    """
    today = today or timezone.localdate()
    result = _scan_tasks(today)
    for path, source in deadline_sources():
        try:
            result.sent.update(source(today=today))
        except Exception:
            logger.exception("deadline source %s failed", path)
            result.failed.append(path)
    return result


def deadline_steps(due_on: datetime.date, today: datetime.date, *, owned: bool) -> list[tuple[str, int]]:
    """The reminders (Reminder.Kind, step) a deadline deserves on ``today``: one due-soon step
    (the nearest of DEADLINE_REMIND_DAYS reached), or once late the overdue reminder and the
    escalations (to the office only when someone else owns the work). Pure: the one rule for
    tasks and every deadline source."""
    days_left = (due_on - today).days
    if days_left >= 0:
        step = min((d for d in settings.DEADLINE_REMIND_DAYS if days_left <= d), default=None)
        return [] if step is None else [(Reminder.Kind.DUE_SOON, step)]
    late = -days_left
    steps: list[tuple[str, int]] = [(Reminder.Kind.OVERDUE, 0)]
    if late >= max(1, settings.DEADLINE_ESCALATE_OFFICE_DAYS) and owned:
        steps.append((Reminder.Kind.ESCALATED_OFFICE, 0))
    if late >= max(1, settings.DEADLINE_ESCALATE_LEADER_DAYS):
        steps.append((Reminder.Kind.ESCALATED_LEADER, 0))
    return steps


def _scan_tasks(today: datetime.date) -> ScanResult:
    horizon = deadline_horizon(today)
    tasks = list(
        Task.objects.filter(
            due_on__isnull=False,
            due_on__lte=horizon,
            waived=False,
            cancelled=False,
            status__in=CHASED_STATUSES,
            plan__status__in=LIVE_PLAN_STATUSES,
        ).select_related("plan", "assignee")
    )
    result = ScanResult(today=today, tasks_checked=len(tasks))
    if not tasks:
        return result
    sent_before = set(
        Reminder.objects.filter(task__in=[t.pk for t in tasks])
        .exclude(kind=Reminder.Kind.MANUAL)
        .values_list("task_id", "kind", "step", "due_on")
    )
    seats = seats_by_plan({t.plan_id for t in tasks})
    for task in tasks:
        for due in reminders_due(task, today, seats.get(task.plan_id, {})):
            if due.key not in sent_before and _record(due):
                result.sent[due.kind] += 1
    return result


def deadline_horizon(today: datetime.date) -> datetime.date:
    """The latest due date that may owe a reminder on ``today``."""
    return today + datetime.timedelta(days=max(settings.DEADLINE_REMIND_DAYS))


def reminders_due(task: Task, today: datetime.date, seats: dict[str, list[Any]]) -> list[DueReminder]:
    """The reminders a task deserves on ``today`` (pure: no queries). ``seats`` maps a leading-group
    role to its users. The caller passes a task with a due date."""
    assert task.due_on is not None
    office, leader = tuple(seats.get(Role.OFFICE, [])), tuple(seats.get(Role.LEADER, []))
    owner = (task.assignee,) if task.assignee_id else office
    who = str(task.assignee) if task.assignee_id else "未分派"
    due_text = f"{task.due_on:%Y-%m-%d}"
    days_left = (task.due_on - today).days
    late = -days_left
    escalation = f"{who}的任务“{task.title}”已逾期{late}天（截止{due_text}），请督促办理。"
    when = "今天到期" if days_left == 0 else f"还有{days_left}天到期"
    # An unassigned task already goes to the office as its owner: no second message to it
    # (deadline_steps escalates to the office only when owned).
    shapes: dict[str, tuple[tuple[Any, ...], str, str]] = {
        Reminder.Kind.DUE_SOON: (owner, Notification.Kind.DUE_SOON, f"任务“{task.title}”{when}（截止{due_text}），请抓紧办理。"),
        Reminder.Kind.OVERDUE: (
            owner,
            Notification.Kind.OVERDUE,
            f"任务“{task.title}”已逾期{late}天（截止{due_text}），请尽快办理。",
        ),
        Reminder.Kind.ESCALATED_OFFICE: (office, Notification.Kind.ESCALATION, escalation),
        Reminder.Kind.ESCALATED_LEADER: (leader, Notification.Kind.ESCALATION, escalation),
    }
    return [
        DueReminder(task, kind, step, *shapes[kind])
        for kind, step in deadline_steps(task.due_on, today, owned=bool(task.assignee_id))
    ]


def seats_by_plan(plan_ids: set[int]) -> dict[int, dict[str, list[Any]]]:
    """The office and leader seats of each plan, by role (who overdue work escalates to)."""
    seats: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    rows = LeadingGroupMember.objects.filter(plan_id__in=plan_ids, role__in=[Role.OFFICE, Role.LEADER])
    for seat in rows.select_related("user").order_by("id"):
        seats[seat.plan_id][seat.role].append(seat.user)
    return seats


def _record(due: DueReminder) -> bool:
    """Insert the reminder row and its notifications in one savepoint; False if it already existed
    (another scanner won the race) or there is nobody to tell yet (retried on the next scan)."""
    recipients = [u for u in due.recipients if u is not None and u.is_active]
    if not recipients:
        return False
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(task=due.task, kind=due.kind, step=due.step, due_on=due.task.due_on)
            reminder.recipients.set(recipients)
            notify(
                recipients=recipients,
                kind=due.notification_kind,
                text=due.text,
                plan=due.task.plan,
                url=due.task.get_absolute_url(),
            )
    except IntegrityError:
        logger.info("reminder %s already sent by another scanner", due.key)
        return False
    return True


@transaction.atomic
def task_nudge(*, actor: Any, task: Task, note: str = "") -> Reminder:
    """The office (or leader, deputy) chases the assignee of an open task by hand (人工催办).

    Records a 催办 entry and an audit row, and notifies the assignee after commit. Refused for a
    finished, submitted or unassigned task, for one's own task, and within NUDGE_COOLDOWN of the
    previous manual 催办 of the same task.
    """
    # Lock only the task row (PostgreSQL refuses FOR UPDATE across the nullable assignee join): two
    # managers clicking 催办 at once queue here, and the second one meets the cooldown.
    task = Task.objects.select_for_update(of=("self",)).select_related("plan", "assignee").get(pk=task.pk)
    task.measure = Measure.objects.select_related("stage").get(pk=task.measure_id)
    check_task_action(actor, task, "nudge")
    _guard_nudge(actor, task)
    assert task.assignee is not None  # the rule refuses an unassigned task
    note = " ".join((note or "").split())[:200]
    reminder = Reminder.objects.create(task=task, kind=Reminder.Kind.MANUAL, due_on=task.due_on, actor=actor, note=note)
    reminder.recipients.set([task.assignee])
    audit_record(
        actor=actor,
        action="tasks.task.nudged",
        target=task,
        plan=task.plan,
        reason=note,
        data={"assignee": task.assignee.username, "reminder": reminder.pk},
    )
    due = f"，截止{task.due_on:%Y-%m-%d}" if task.due_on else ""
    text = f"{actor}催办：请尽快办理任务“{task.title}”{due}。" + (f"附言：{note}" if note else "")
    notify(
        recipients=[task.assignee], kind=Notification.Kind.NUDGE, text=text, url=task.get_absolute_url(), plan=task.plan, exclude=actor
    )
    return reminder


def _guard_nudge(actor: Any, task: Task) -> None:
    """What the rule cannot know: the actor's own task, and the cooldown."""
    if task.assignee_id == actor.pk:
        raise DomainError("不能催办自己承担的任务。")
    last = (
        Reminder.objects.filter(task=task, kind=Reminder.Kind.MANUAL)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if last is not None and timezone.now() - last < NUDGE_COOLDOWN:
        local = timezone.localtime(last)
        raise DomainError(f"{local:%H:%M} 刚催办过该任务，请{int(NUDGE_COOLDOWN.total_seconds() // 60)}分钟后再试。")
