"""Rectification items (整改项): assigned by the office, done by their owner with evidence, closed by
the office; each move through acceptance.flows.RectificationFlow. The plan's lock is taken first,
as in every acceptance service, so a 复验 application never races an item's closing."""

from __future__ import annotations

import datetime
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
from core.uploads import CheckedFile, StagedFile, staged_uploads
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import Plan
from plans.permissions import plan_role


def _locked(item: RectificationItem | int) -> RectificationItem:
    pk = item.pk if isinstance(item, RectificationItem) else item
    plan_id = RectificationItem.objects.values_list("plan_id", flat=True).get(pk=pk)
    Plan.objects.select_for_update(of=("self",)).get(pk=plan_id)
    found = RectificationItem.objects.select_for_update(of=("self",)).select_related("plan", "criterion").get(pk=pk)
    if found.plan.status != Plan.Status.RECTIFYING:
        raise InvalidTransition(f"方案当前为“{found.plan.get_status_display()}”,整改项不能再变更。")
    return found


def _move(item: RectificationItem, transition: str, actor: User | None, **data: Any) -> None:
    old = item.status
    try:
        getattr(RectificationFlow(item), transition)()
    except TransitionNotAllowed:
        shown = RectificationItem.Status(item.status).label
        raise InvalidTransition(f"整改项当前为“{shown}”,不能执行此操作(可能已由他人处理)。") from None
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
        raise DomainError(f"“{owner}”不是本方案领导小组成员,不能承担整改项。")
    if due_on < timezone.localdate():
        raise DomainError("整改期限不能早于今天。")
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
    item.note = note[:1000]
    item.evidence = staged[0].stored_name
    item.evidence_name = staged[0].original_name[:200]
    _move(item, "submit", actor, name=item.evidence_name)
    notify(
        recipients=[seat.user for seat in item.plan.leading_group.filter(role__in=["leader", "office"])],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"整改项“{item.criterion.point[:40]}”已提交,待审核。",
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
        text=f"整改项“{item.criterion.point[:40]}”被退回:{reason[:60]}",
        url=_url(item),
        plan=item.plan,
        exclude=actor,
    )
    return item
