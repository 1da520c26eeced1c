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
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from audit.services import audit_record
from core.errors import DomainError
from notifications.models import Notification
from notifications.services import notify
from plans.models import LeadingGroupMember, Measure, Stage
from tasks.models import Reminder, Task
from tasks.rules import WORKING_PLAN_STATUSES, check_task_action, work_refusal

logger = logging.getLogger(__name__)

Role = LeadingGroupMember.Role

# Tasks waiting for review are with the reviewers, not the assignee: they are not chased.
CHASED_STATUSES = (Task.Status.UNASSIGNED, Task.Status.ASSIGNED, Task.Status.IN_PROGRESS, Task.Status.RETURNED)
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
    # The effective due date (effective_due_on): the task's own unless its stage opened late.
    due_on: datetime.date

    @property
    def key(self) -> tuple[int, str, int, datetime.date | None]:
        return (self.task.pk, self.kind, self.step, self.due_on)


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
    # The filter is the cheap pre-selection; work_refusal (the task page's rule) decides below.
    candidates = list(
        Task.objects.filter(
            due_on__isnull=False,
            due_on__lte=horizon,
            waived=False,
            cancelled=False,
            status__in=CHASED_STATUSES,
            plan__status__in=WORKING_PLAN_STATUSES,
            measure__stage__status=Stage.Status.OPEN,
        ).select_related("plan", "assignee", "measure__stage__plan")
    )
    tasks = [t for t in candidates if work_refusal(t) is None]
    result = ScanResult(today=today, tasks_checked=len(tasks))
    if not tasks:
        return result
    sent_before = set(
        Reminder.objects.filter(task__in=[t.pk for t in tasks])
        .exclude(kind=Reminder.Kind.MANUAL)
        .values_list("task_id", "kind", "step", "due_on")
    )
    plan_ids = {t.plan_id for t in tasks}
    seats = seats_by_plan(plan_ids)
    opened = stages_opened_on(plan_ids)
    owed: dict[int, list[DueReminder]] = defaultdict(list)
    for task in tasks:
        assert task.due_on is not None
        due_on = effective_due_on(task.due_on, opened.get(task.measure.stage_id))
        for due in reminders_due(task, today, seats.get(task.plan_id, {}), due_on=due_on):
            if due.key not in sent_before:
                owed[task.plan_id].append(due)
    for dues in owed.values():
        result.sent.update(_send_plan_reminders(dues, today))
    return result


def deadline_horizon(today: datetime.date) -> datetime.date:
    """The latest due date that may owe a reminder on ``today``."""
    return today + datetime.timedelta(days=max(settings.DEADLINE_REMIND_DAYS))


def stages_opened_on(plan_ids: set[int]) -> dict[int, datetime.date]:
    """The local date each stage of these plans opened, by stage id, where it is known.

    A stage after the first opens in the transaction that signs the previous one's gate
    (workflows.services.stage_complete), so its opening is that signature's ``completed_at``. The
    first stage opens with the plan: its tasks keep the plan's own dates (a plan imported with dates
    already past is the import preview's warning, not the engine's to guess). A stage whose
    predecessor carries no signature time (rows built by hand) is absent: its dates stand."""
    rows = list(Stage.objects.filter(plan_id__in=plan_ids).values_list("pk", "plan_id", "order", "completed_at"))
    signed = {(plan_id, order): at for _, plan_id, order, at in rows if at is not None}
    opened: dict[int, datetime.date] = {}
    for pk, plan_id, order, _ in rows:
        at = signed.get((plan_id, order - 1)) if order > 1 else None
        if at is not None:
            opened[pk] = timezone.localdate(at)
    return opened


def effective_due_on(due_on: datetime.date, opened_on: datetime.date | None) -> datetime.date:
    """The due date the engine judges a task by: its own, or, when its stage opened too late for
    it, the opening day plus the reminder window (max DEADLINE_REMIND_DAYS).

    A task cannot be worked before its stage opens (tasks.rules), so days before the opening do not
    count as late. With the window as grace, a task whose date passed while its stage was closed
    gets the usual first due-soon reminder on the opening day, then the usual overdue and
    escalation steps, instead of being overdue (and escalated) the moment it can be started. A
    due date on or after the opening day stands as it is (a stage opened on time keeps its dates,
    and the engine agrees with every page's 逾期)."""
    if opened_on is None or due_on >= opened_on:
        return due_on
    return max(due_on, opened_on + datetime.timedelta(days=max(settings.DEADLINE_REMIND_DAYS)))


def reminders_due(
    task: Task, today: datetime.date, seats: dict[str, list[Any]], *, due_on: datetime.date | None = None
) -> list[DueReminder]:
    """The reminders a task deserves on ``today`` (pure: no queries), judged by ``due_on`` (its
    effective due date, see effective_due_on; the task's own by default). ``seats`` maps a
    leading-group role to its users. The caller passes a task with a due date."""
    assert task.due_on is not None
    due_on = due_on or task.due_on
    office, leader = tuple(seats.get(Role.OFFICE, [])), tuple(seats.get(Role.LEADER, []))
    owner = (task.assignee,) if task.assignee_id else office
    who = str(task.assignee) if task.assignee_id else "未分派"
    due_text = f"{due_on:%Y-%m-%d}" + ("，阶段开启后顺延" if due_on != task.due_on else "")
    days_left = (due_on - today).days
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
        DueReminder(task, kind, step, *shapes[kind], due_on=due_on)
        for kind, step in deadline_steps(due_on, today, owned=bool(task.assignee_id))
    ]


def seats_by_plan(plan_ids: set[int]) -> dict[int, dict[str, list[Any]]]:
    """The office and leader seats of each plan, by role (who overdue work escalates to)."""
    seats: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    rows = LeadingGroupMember.objects.filter(plan_id__in=plan_ids, role__in=[Role.OFFICE, Role.LEADER])
    for seat in rows.select_related("user").order_by("id"):
        seats[seat.plan_id][seat.role].append(seat.user)
    return seats


@transaction.atomic
def _send_plan_reminders(dues: list[DueReminder], today: datetime.date) -> Counter[str]:
    """Record the reminders one plan owes (one Reminder row per task and step, the task's history)
    and tell each person once: one digest per (recipient, plan, scan), not one message per task.

    One transaction per plan: the digests are written only for rows this scan inserted, so two
    scanners at once never both send, and each plan's reminders commit with their digests."""
    sent: Counter[str] = Counter()
    by_recipient: dict[Any, list[DueReminder]] = defaultdict(list)
    for due in dues:
        recipients = _insert(due)
        if recipients:
            sent[due.kind] += 1
            for user in recipients:
                by_recipient[user].append(due)
    for user, items in by_recipient.items():
        _notify_digest(user, items, today)
    return sent


def _insert(due: DueReminder) -> list[Any]:
    """Insert the reminder row in a savepoint; its recipients, or [] if it already existed (another
    scanner won the race) or there is nobody to tell yet (retried on the next scan)."""
    recipients = [u for u in due.recipients if u is not None and u.is_active]
    if not recipients:
        return []
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(task=due.task, kind=due.kind, step=due.step, due_on=due.due_on)
            reminder.recipients.set(recipients)
    except IntegrityError:
        logger.info("reminder %s already sent by another scanner", due.key)
        return []
    return recipients


# The most pressing kind names a digest (the inbox filters by it).
_URGENCY: dict[str, int] = {Notification.Kind.DUE_SOON: 0, Notification.Kind.ESCALATION: 1, Notification.Kind.OVERDUE: 2}


def _notify_digest(user: Any, items: list[DueReminder], today: datetime.date) -> None:
    """One notification to ``user`` about the reminders ``items`` of one plan: the task's own text
    and link when they concern a single task, else counts with a few titles, linking to 我的待办
    (their own tasks) or to the plan (others' tasks to chase)."""
    plan = items[0].task.plan
    kind = max((due.notification_kind for due in items), key=_URGENCY.__getitem__)
    tasks = {due.task.pk for due in items}
    if len(tasks) == 1:
        first = max(items, key=lambda due: _URGENCY[due.notification_kind])
        notify(recipients=[user], kind=kind, text=first.text, plan=plan, url=first.task.get_absolute_url())
        return
    own = {due.task.pk: due for due in items if due.kind in _OWN_KINDS}
    chased = {due.task.pk: due for due in items if due.kind not in _OWN_KINDS and due.task.pk not in own}
    parts = []
    if own:
        late = sum(1 for due in own.values() if due.kind == Reminder.Kind.OVERDUE)
        counts = "、".join(
            part for part, n in ((f"{late}项已逾期", late), (f"{len(own) - late}项即将到期", len(own) - late)) if n
        )
        parts.append(f"您负责的任务中{counts}（{_titles(own.values())}），请尽快办理")
    if chased:
        oldest = max((today - due.due_on).days for due in chased.values())
        parts.append(f"{len(chased)}项他人负责的任务已逾期（最长{oldest}天：{_titles(chased.values())}），请督促办理")
    # No plan title here: every notification is shown under its plan's title ("《方案》有…",
    # notifications.models.Notification.shown_text).
    text = f"有{len(tasks)}项任务需要处理：" + "；".join(parts) + "。"
    url = reverse("inbox") if own else reverse("plans:plan_detail", args=[plan.pk])
    notify(recipients=[user], kind=kind, text=text, plan=plan, url=url)


_OWN_KINDS = (Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE)
DIGEST_TITLES = 3


def _titles(dues: Any) -> str:
    """The first few task titles (most urgent first), each cut to fit the 300-character text."""
    ordered = sorted(dues, key=lambda due: (due.due_on, due.task.pk))
    shown = "、".join(f"“{truncatechars(due.task.title, 16)}”" for due in ordered[:DIGEST_TITLES])
    return shown + ("等" if len(ordered) > DIGEST_TITLES else "")


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
