"""Stage gates: the leader signs a stage complete and the next stage opens, in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed

from audit.services import audit_record
from core.errors import DomainError, InvalidTransition
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from plans.models import Stage
from tasks.models import Task
from workflows.flows import StageFlow
from workflows.rules import OPINION_MAX, gate_refusal


@transaction.atomic
def stage_complete(*, stage: Stage | int, actor: User, opinion: str = "") -> Stage:
    """Sign a stage's gate: every task of the stage must be closed (or waived).

    ``opinion`` (签署意见, optional) is kept on the stage and in the audit row, so the history
    shows it beside the signature; one longer than OPINION_MAX is refused, never cut.

    Locks the stage and then its tasks (the same order as task transitions, which lock only a task
    and read its stage), so a task cannot be reopened between the check and the signature.
    Opens the next stage and tells the leading group. Signing the last gate does not complete the
    plan: the plan's status belongs to the acceptance (acceptance.flows.PlanFlow, from 请验 on).
    """
    opinion = (opinion or "").strip()
    if len(opinion) > OPINION_MAX:
        raise DomainError(f"签署意见最多 {OPINION_MAX} 字（现有 {len(opinion)} 字）。")
    pk = stage.pk if isinstance(stage, Stage) else stage
    stage = Stage.objects.select_for_update(of=("self",)).select_related("plan").get(pk=pk)
    refusal = gate_refusal(actor, stage, None)
    if refusal is not None:
        raise refusal
    # Lock every task of the stage, closed ones included: a concurrent reopen holds a closed
    # task's lock, and a filter on status would skip that row instead of waiting for it.
    statuses = list(
        Task.objects.select_for_update(of=("self",)).filter(measure__stage=stage).values_list("status", flat=True)
    )
    refusal = gate_refusal(actor, stage, sum(1 for status in statuses if status != Task.Status.CLOSED))
    if refusal is not None:
        raise refusal
    try:
        StageFlow(stage).complete()
    except TransitionNotAllowed:  # pragma: no cover - guarded above
        raise InvalidTransition("该阶段不能签署。") from None
    stage.completed_at = timezone.now()
    stage.completed_by = actor
    stage.completion_opinion = opinion
    stage.save(update_fields=["status", "completed_at", "completed_by", "completion_opinion"])
    audit_record(
        actor=actor,
        action="plans.stage.completed",
        target=stage,
        plan=stage.plan_id,
        old=Stage.Status.OPEN,
        new=stage.status,
        reason=opinion,
        data={"opinion": opinion} if opinion else None,
    )
    following = (
        Stage.objects.select_for_update(of=("self",))
        .filter(plan=stage.plan, order__gt=stage.order)
        .order_by("order")
        .first()
    )
    if following is not None:
        _open(following, actor)
    transaction.on_commit(lambda: push.plan_changed(stage.plan_id))
    return stage


def _open(stage: Stage, actor: User) -> None:
    StageFlow(stage).open()
    stage.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="plans.stage.opened",
        target=stage,
        plan=stage.plan_id,
        old=Stage.Status.PENDING,
        new=stage.status,
    )
    notify(
        recipients=[seat.user for seat in stage.plan.leading_group.select_related("user")],
        kind=Notification.Kind.STAGE_OPENED,
        text=f"“{stage.plan.title}”进入{stage.name}，本阶段任务现在可以办理。",
        url=reverse("plans:plan_detail", args=[stage.plan_id]),
        plan=stage.plan,
        exclude=actor,
    )

