"""Rectification items (整改项): assigned by the office, done by their owner with evidence, closed by
the office; each move through acceptance.flows.RectificationFlow. The plan's lock is taken first,
as in every acceptance service, so a 复验 application never races an item's closing.

The deadline engine chases them as it chases tasks (``rectification_reminders_send``, a deadline
source of tasks.deadlines): the same steps, the owner reminded, the office and the 组长 told
when an item is late."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed

from acceptance.flows import RectificationFlow
from acceptance.models import RectificationItem
from acceptance.permissions import can_manage_rectification
from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, NotAllowed, require
from core.text import bounded
from core.uploads import CheckedFile, StagedFile, staged_uploads
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import LeadingGroupMember, Plan
from plans.permissions import plan_role
from tasks.deadlines import deadline_horizon, deadline_steps, seats_by_plan
from tasks.models import Reminder


def _locked(item: RectificationItem | int) -> RectificationItem:
    pk = item.pk if isinstance(item, RectificationItem) else item
    plan_id = RectificationItem.objects.values_list("plan_id", flat=True).get(pk=pk)
    Plan.objects.select_for_update(of=("self",)).get(pk=plan_id)
    found = RectificationItem.objects.select_for_update(of=("self",)).select_related("plan", "criterion").get(pk=pk)
    if found.plan.status != Plan.Status.RECTIFYING:
        raise InvalidTransition(f"方案当前为“{found.plan.get_status_display()}”，整改项不能再变更。")
    return found


def _move(item: RectificationItem, transition: str, actor: User | None, **data: Any) -> None:
    old = item.status
    try:
        getattr(RectificationFlow(item), transition)()
    except TransitionNotAllowed:
        shown = RectificationItem.Status(item.status).label
        raise InvalidTransition(f"整改项当前为“{shown}”，不能执行此操作（可能已由他人处理）。") from None
    item.save()
    audit_record(
        actor=actor,
        action=f"acceptance.rectification.{transition.rstrip('_')}",
        target=item,
        plan=item.plan_id,
        old=old,
        new=item.status,
        data={k: str(v) for k, v in data.items()},
    )


def _url(item: RectificationItem) -> str:
    return reverse("acceptance:plan_acceptance", args=[item.plan_id]) + f"#rectification-{item.pk}"


@transaction.atomic
def rectification_assign(
    *, actor: User, item: RectificationItem | int, owner: User, due_on: datetime.date
) -> RectificationItem:
    """The office gives an item to a seat of the plan's leading group, with a due date."""
    item = _locked(item)
    require(can_manage_rectification(actor, item.plan), "只有组长、副组长或办公室主任可以分派整改项。")
    if plan_role(owner, item.plan) is None:
        raise DomainError(f"“{owner}”不是本方案领导小组成员，不能承担整改项。")
    if due_on < timezone.localdate():
        raise DomainError("整改截止日期不能早于今天。")
    item.owner, item.due_on = owner, due_on
    _move(item, "assign", actor, owner=owner.pk, due_on=due_on.isoformat())
    notify(
        recipients=[owner],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"整改项“{item.criterion.point[:40]}”请于 {due_on:%Y-%m-%d} 前完成。",
        url=_url(item),
        plan=item.plan,
        exclude=actor,
    )
    return item


def _path_for(checked: CheckedFile) -> str:
    return f"rectification/{timezone.now():%Y/%m}/{checked.safe_name}"


def rectification_submit(*, actor: User, item: RectificationItem | int, note: str, upload: Any) -> RectificationItem:
    """The owner hands in the rectification with a note and one evidence file (checked and stored
    before the lock, removed again if the submission is refused)."""
    storage = RectificationItem._meta.get_field("evidence").storage
    with staged_uploads([upload] if upload else [], storage=storage, path_for=_path_for) as staged:
        return _submit(actor=actor, item=item, note=note, staged=staged)


@transaction.atomic
def _submit(*, actor: User, item: RectificationItem | int, note: str, staged: list[StagedFile]) -> RectificationItem:
    item = _locked(item)
    if item.owner_id != actor.pk:
        raise NotAllowed("只有整改项责任人可以提交整改。")
    if not staged:
        raise DomainError("请上传整改佐证材料。")
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写整改说明。")
    item.note = bounded(note, RectificationItem, "note")
    item.evidence = staged[0].stored_name
    item.evidence_name = staged[0].original_name[:200]
    item.evidence_sha256 = staged[0].sha256
    _move(item, "submit", actor, name=item.evidence_name, sha256=item.evidence_sha256)
    notify(
        recipients=[seat.user for seat in item.plan.leading_group.filter(role__in=["leader", "office"])],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"整改项“{item.criterion.point[:40]}”已提交，待审核。",
        url=_url(item),
        plan=item.plan,
        exclude=actor,
    )
    return item


@transaction.atomic
def rectification_close(*, actor: User, item: RectificationItem | int) -> RectificationItem:
    """The office accepts the rectification."""
    item = _locked(item)
    require(can_manage_rectification(actor, item.plan), "只有组长、副组长或办公室主任可以确认整改完成。")
    item.closed_at = timezone.now()
    _move(item, "close", actor)
    return item


@transaction.atomic
def rectification_return(*, actor: User, item: RectificationItem | int, reason: str) -> RectificationItem:
    """The office sends the rectification back to its owner with a reason."""
    item = _locked(item)
    require(can_manage_rectification(actor, item.plan), "只有组长、副组长或办公室主任可以退回整改项。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写退回理由。")
    _move(item, "return_", actor, reason=reason[:100])
    notify(
        recipients=[item.owner],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"整改项“{item.criterion.point[:40]}”被退回：{reason[:60]}",
        url=_url(item),
        plan=item.plan,
        exclude=actor,
    )
    return item


# --- the deadline engine ----------------------------------------------------------------------

RS = RectificationItem.Status
NOTIFICATION_KIND: dict[str, str] = {
    Reminder.Kind.DUE_SOON: Notification.Kind.DUE_SOON,
    Reminder.Kind.OVERDUE: Notification.Kind.OVERDUE,
    Reminder.Kind.ESCALATED_OFFICE: Notification.Kind.ESCALATION,
    Reminder.Kind.ESCALATED_LEADER: Notification.Kind.ESCALATION,
}


def _reminder_key(due_on: datetime.date, kind: str, step: int) -> str:
    return f"{due_on.isoformat()}/{kind}/{step}"


def _owed(item_due: datetime.date, sent: list[str], today: datetime.date) -> list[tuple[str, int]]:
    steps = deadline_steps(item_due, today, owned=True)
    return [(kind, step) for kind, step in steps if _reminder_key(item_due, kind, step) not in sent]


def rectification_reminders_send(*, today: datetime.date | None = None) -> Counter[str]:
    """Remind owners of rectification items due soon or overdue and escalate late ones to the
    office and the 组长, by tasks.deadlines.deadline_steps (registered in acceptance.apps as a
    deadline source). Only items being worked on (整改中) of plans in 整改中 are chased; a
    submitted item is with the office. Idempotent: each (due date, kind, step) is sent once per
    item, recorded on the item under its lock; a re-assigned due date re-arms the reminders.
    As for tasks, each person hears once per plan and scan (one digest for several items).
    Returns the reminders sent by kind ("rectification.<kind>")."""
    today = today or timezone.localdate()
    candidates = RectificationItem.objects.filter(
        status=RS.ASSIGNED,
        plan__status=Plan.Status.RECTIFYING,
        due_on__isnull=False,
        due_on__lte=deadline_horizon(today),
    ).values_list("pk", "plan_id", "due_on", "reminders_sent")
    by_plan: dict[int, list[int]] = {}
    for pk, plan_id, due_on, done in list(candidates):
        if due_on is not None and _owed(due_on, done, today):  # the cheap pre-check; _remind_plan decides under the lock
            by_plan.setdefault(plan_id, []).append(pk)
    sent: Counter[str] = Counter()
    for plan_id, pks in by_plan.items():
        sent.update(_remind_plan(plan_id, pks, today))
    return sent


@transaction.atomic
def _remind_plan(plan_id: int, pks: list[int], today: datetime.date) -> Counter[str]:
    plan = Plan.objects.select_for_update(of=("self",)).get(pk=plan_id)
    if plan.status != Plan.Status.RECTIFYING:
        return Counter()  # frozen since the pre-check
    seats = seats_by_plan({plan_id}).get(plan_id, {})
    sent: Counter[str] = Counter()
    told: dict[Any, list[tuple[str, RectificationItem]]] = {}
    items = RectificationItem.objects.select_for_update(of=("self",)).select_related("plan", "criterion", "owner")
    for item in items.filter(pk__in=pks).order_by("due_on", "pk"):
        kinds, recipients = _remind_item(item, seats, today)
        sent.update(f"rectification.{kind}" for kind in kinds)
        for kind, user in recipients:
            told.setdefault(user, []).append((kind, item))
    for user, reminded in told.items():
        _notify_digest(user, plan, reminded, today)
    return sent


def _remind_item(
    item: RectificationItem, seats: dict[str, list[Any]], today: datetime.date
) -> tuple[list[str], list[tuple[str, Any]]]:
    """Mark the reminders ``item`` owes today as sent (and audit them): their kinds, and who is to
    be told of each (the caller tells each person once for the whole plan)."""
    if item.status != RS.ASSIGNED or item.due_on is None:
        return [], []  # closed or submitted since the pre-check
    told: list[tuple[str, Any]] = []
    kinds: list[str] = []
    for kind, step in _owed(item.due_on, item.reminders_sent, today):
        recipients = [u for u in _reminded(kind, item, seats) if u is not None and u.is_active]
        if not recipients:
            continue  # nobody to tell yet (an empty seat): not marked, so the next scan retries
        item.reminders_sent = [*item.reminders_sent, _reminder_key(item.due_on, kind, step)]
        kinds.append(kind)
        told += [(kind, user) for user in recipients]
    if kinds:
        item.save(update_fields=["reminders_sent"])
        audit_record(
            actor=None,
            action="acceptance.rectification.reminded",
            target=item,
            plan=item.plan_id,
            data={"due_on": item.due_on.isoformat(), "kinds": sorted(kinds)},
        )
    return kinds, told


_URGENCY: dict[str, int] = {Notification.Kind.DUE_SOON: 0, Notification.Kind.ESCALATION: 1, Notification.Kind.OVERDUE: 2}
_OWN_KINDS = (Reminder.Kind.DUE_SOON, Reminder.Kind.OVERDUE)


def _notify_digest(user: Any, plan: Plan, reminded: list[tuple[str, RectificationItem]], today: datetime.date) -> None:
    """One notification to ``user`` for one plan and scan: the item's own text when it is one item,
    else counts with a few items named (the plan's title leads it, Notification.shown_text)."""
    kind = max((NOTIFICATION_KIND[k] for k, _ in reminded), key=_URGENCY.__getitem__)
    items = {item.pk: item for _, item in reminded}
    if len(items) == 1:
        first_kind, item = max(reminded, key=lambda pair: _URGENCY[NOTIFICATION_KIND[pair[0]]])
        notify(recipients=[user], kind=kind, text=_reminder_text(first_kind, item, today), url=_url(item), plan=plan)
        return
    own = {item.pk: (k, item) for k, item in reminded if k in _OWN_KINDS}
    chased = {item.pk: item for k, item in reminded if k not in _OWN_KINDS and item.pk not in own}
    parts = []
    if own:
        late = sum(1 for k, _ in own.values() if k == Reminder.Kind.OVERDUE)
        counts = "、".join(
            part for part, n in ((f"{late}项已逾期", late), (f"{len(own) - late}项即将到期", len(own) - late)) if n
        )
        parts.append(f"您负责的整改项中{counts}（{_points([i for _, i in own.values()])}），请尽快整改")
    if chased:
        parts.append(f"{len(chased)}项他人负责的整改项已逾期（{_points(list(chased.values()))}），请督促整改")
    text = f"有{len(items)}项整改项需要处理：" + "；".join(parts) + "。"
    notify(recipients=[user], kind=kind, text=text, url=reverse("acceptance:plan_acceptance", args=[plan.pk]), plan=plan)


def _points(items: list[RectificationItem]) -> str:
    shown = "、".join(f"“{item.criterion.point[:16]}”" for item in items[:3])
    return shown + ("等" if len(items) > 3 else "")


def _reminded(kind: str, item: RectificationItem, seats: dict[str, list[Any]]) -> list[Any]:
    if kind == Reminder.Kind.ESCALATED_OFFICE:
        return list(seats.get(LeadingGroupMember.Role.OFFICE, []))
    if kind == Reminder.Kind.ESCALATED_LEADER:
        return list(seats.get(LeadingGroupMember.Role.LEADER, []))
    return [item.owner]


def _reminder_text(kind: str, item: RectificationItem, today: datetime.date) -> str:
    assert item.due_on is not None
    point, due = item.criterion.point[:40], f"{item.due_on:%Y-%m-%d}"
    days_left = (item.due_on - today).days
    if kind == Reminder.Kind.DUE_SOON:
        when = "今天到期" if days_left == 0 else f"还有{days_left}天到期"
        return f"整改项“{point}”{when}（截止{due}），请抓紧整改。"
    if kind == Reminder.Kind.OVERDUE:
        return f"整改项“{point}”已逾期{-days_left}天（截止{due}），请尽快整改。"
    return f"{item.owner}的整改项“{point}”已逾期{-days_left}天（截止{due}），请督促整改。"
