"""Writes for tasks: creation and every lifecycle transition, evidence and comments.

Each transition service re-reads the task under a row lock, checks the actor's permission
(tasks.permissions), guards the state (tasks.flows.TaskFlow plus the stage and the version the
caller saw), writes the audit row and the notification rows in the same transaction, and leaves
the websocket push to after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from viewflow.fsm import TransitionNotAllowed

from notifications.models import Notification
from notifications.services import notify
from plans.audit import audit_record
from plans.errors import DomainError, InvalidTransition, NotAllowed, StaleObject
from plans.models import LeadingGroupMember, Measure, Stage, User, WorkingGroup
from plans.permissions import can_work_on_plan
from tasks import permissions as perms
from tasks.flows import TaskFlow
from tasks.models import Comment, Evidence, Task

Role = LeadingGroupMember.Role
REVIEWER_ROLES = (Role.LEADER, Role.DEPUTY, Role.OFFICE)


# --- shared steps -------------------------------------------------------------------------------


def _locked(task: Task | int) -> Task:
    """Re-read the task under a row lock, then read its plan and stage in a statement of their own.

    Only the task row is locked. The stage is read after the lock is held so that, on PostgreSQL,
    a gate signed while we waited is seen (a joined row would come from the older snapshot).
    """
    pk = task.pk if isinstance(task, Task) else task
    task = Task.objects.select_for_update(of=("self",)).select_related("assignee").get(pk=pk)
    task.measure = Measure.objects.select_related("stage__plan__school").get(pk=task.measure_id)
    task.plan = task.measure.stage.plan
    return task


def _check_version(task: Task, expected_version: int | None) -> None:
    if expected_version is not None and task.version != expected_version:
        raise StaleObject(f"任务“{task.title}”已被他人更新(当前状态:{task.get_status_display()}),请刷新页面后再操作。")


def _move(task: Task, action: str) -> str:
    """Apply the fsm transition; returns the old status. Refusals become a clear message."""
    old = task.status
    try:
        getattr(TaskFlow(task), action)()
    except TransitionNotAllowed:
        shown = "已豁免" if task.waived else Task.Status(old).label
        raise InvalidTransition(f"任务当前状态为“{shown}”,不能执行“{_ACTION_LABELS[action]}”。") from None
    return old


_ACTION_LABELS = {
    "assign": "分派",
    "reassign": "改派",
    "start": "开始办理",
    "submit": "提交审核",
    "close": "审核通过",
    "return_": "退回",
    "reopen": "重新打开",
    "waive": "豁免",
}


def _require_stage_open(task: Task) -> None:
    stage = task.measure.stage
    if stage.status == Stage.Status.PENDING:
        raise InvalidTransition(f"“{stage.name}”尚未开启,本阶段任务暂不能办理。")
    if stage.status == Stage.Status.COMPLETED:
        raise InvalidTransition(f"“{stage.name}”已签署完成,其任务不能再变更。")


def _require_stage_not_completed(task: Task) -> None:
    stage = task.measure.stage
    if stage.status == Stage.Status.COMPLETED:
        raise InvalidTransition(f"“{stage.name}”已签署完成,其任务不能再变更。")


def _save(task: Task, *fields: str) -> None:
    task.version += 1
    task.save(update_fields=["status", "version", "updated_at", *fields])


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(f"请填写{what}。")
    return reason


def _task_url(task: Task) -> str:
    return f"/tasks/{task.pk}/"


def _seats(plan_id: int, roles: Iterable[str]) -> list[User]:
    return [
        seat.user
        for seat in LeadingGroupMember.objects.filter(plan_id=plan_id, role__in=list(roles)).select_related("user")
    ]


def _plan_changed(plan_id: int) -> None:
    from notifications import push

    transaction.on_commit(lambda: push.plan_changed(plan_id))


def _maybe_gate_ready(task: Task, actor: User | None) -> None:
    """Tell the leader when the last open task of a stage is done."""
    stage = task.measure.stage
    if Task.objects.filter(measure__stage=stage).exclude(status=Task.Status.CLOSED).exists():
        return
    notify(
        recipients=_seats(task.plan_id, [Role.LEADER]),
        kind=Notification.Kind.GATE_READY,
        text=f"“{stage.name}”的任务已全部完成,请签署阶段关口。",
        url=f"/workflows/stages/{stage.pk}/",
        plan=task.plan,
    )


# --- creation ----------------------------------------------------------------------------------


@transaction.atomic
def task_create(
    *,
    actor: User | None,
    measure: Measure,
    title: str,
    description: str = "",
    assignee: User | None = None,
    starts_on: datetime.date | None = None,
    due_on: datetime.date | None = None,
    weight: Decimal = Decimal("1"),
) -> Task:
    """Create a task under a measure; with an assignee it starts as 待办, else 待分派.

    The actor must manage the plan's tasks (or be None for a system job); an assignee must hold a
    seat on the plan's leading group; the measure's stage must not be signed off yet.
    """
    # Lock the stage: a gate being signed at this instant must not miss the new task.
    stage = Stage.objects.select_for_update(of=("self",)).select_related("plan").get(pk=measure.stage_id)
    measure.stage = stage
    plan = stage.plan
    if actor is not None:
        _require(perms.can_create_task(actor, plan), "只有组长、副组长或办公室主任可以新建任务。")
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写任务名称。")
    if measure.stage.status == Stage.Status.COMPLETED:
        raise DomainError(f"“{measure.stage.name}”已签署完成,不能再新建任务。")
    if assignee is not None and not can_work_on_plan(assignee, plan):
        raise DomainError(f"{assignee} 不在该方案的领导小组中,不能承担任务。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    if starts_on and due_on and due_on < starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    order = (measure.tasks.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    task = Task.objects.create(
        plan=plan,
        measure=measure,
        order=order,
        title=title,
        description=description,
        assignee=assignee,
        starts_on=starts_on,
        due_on=due_on,
        weight=weight,
        status=Task.Status.ASSIGNED if assignee else Task.Status.UNASSIGNED,
    )
    audit_record(
        actor=actor,
        action="tasks.task.created",
        target=task,
        plan=plan,
        new=task.status,
        data={"title": title, "assignee": assignee.username if assignee else None},
    )
    if assignee is not None:
        _notify_assigned(task, actor)
    _plan_changed(plan.pk)
    return task


# --- assignment --------------------------------------------------------------------------------


def _notify_assigned(task: Task, actor: User | None) -> None:
    due = f",截止 {task.due_on:%Y-%m-%d}" if task.due_on else ""
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_ASSIGNED,
        text=f"您有新任务:“{task.title}”{due}。",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )


@transaction.atomic
def task_assign(*, task: Task | int, actor: User, assignee: User, expected_version: int | None = None) -> Task:
    """Assign (待分派 → 待办) or reassign (待办/进行中/已退回 → 待办) a task to a seat of its plan."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_assign_task(actor, task), "只有组长、副组长或办公室主任可以分派任务。")
    _require_stage_not_completed(task)
    if not can_work_on_plan(assignee, task.plan):
        raise DomainError(f"{assignee} 不在该方案的领导小组中,不能承担任务。")
    if task.assignee_id == assignee.pk and task.status != Task.Status.UNASSIGNED:
        raise InvalidTransition(f"任务已由 {assignee} 负责。")
    action = "assign" if task.status == Task.Status.UNASSIGNED else "reassign"
    previous = task.assignee
    old = _move(task, action)
    task.assignee = assignee
    task.return_reason = ""
    _save(task, "assignee", "return_reason")
    audit_record(
        actor=actor,
        action=f"tasks.task.{action}ed",
        target=task,
        plan=task.plan_id,
        old=old,
        new=task.status,
        data={"assignee": assignee.username, "previous": previous.username if previous else None},
    )
    _notify_assigned(task, actor)
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def tasks_assign_bulk(
    *,
    actor: User,
    tasks: Iterable[Task | int],
    assignee: User | None = None,
    working_group: WorkingGroup | None = None,
) -> list[Task]:
    """Assign several tasks at once: all to one person, or round-robin over a working group's members.

    All or nothing: one refused task (permission, state, stage) refuses the whole batch.
    """
    ids = sorted({t.pk if isinstance(t, Task) else int(t) for t in tasks})
    if not ids:
        raise DomainError("请至少选择一项任务。")
    if (assignee is None) == (working_group is None):
        raise DomainError("请选择一位责任人或一个专业工作组。")
    people = [assignee] if assignee is not None else _group_members(working_group)
    if not people:
        raise DomainError(f"专业工作组“{working_group.name}”还没有成员。")
    done = []
    for i, pk in enumerate(ids):
        task = _locked(pk)
        if working_group is not None and working_group.plan_id != task.plan_id:
            raise DomainError("专业工作组不属于该任务所在的方案。")
        person = people[i % len(people)]
        if task.assignee_id == person.pk and task.status != Task.Status.UNASSIGNED:
            done.append(task)
            continue
        done.append(task_assign(task=task, actor=actor, assignee=person))
    return done


def _group_members(group: WorkingGroup) -> list[User]:
    seats = group.members.select_related("user").order_by("user__full_name", "user__username")
    return [seat.user for seat in seats]


# --- the assignee's side -----------------------------------------------------------------------


@transaction.atomic
def task_start(*, task: Task | int, actor: User, expected_version: int | None = None) -> Task:
    """The assignee starts work: 待办/已退回 → 进行中."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_work_task(actor, task), "只有任务责任人可以办理该任务。")
    _require_stage_open(task)
    old = _move(task, "start")
    _save(task)
    audit_record(actor=actor, action="tasks.task.started", target=task, plan=task.plan_id, old=old, new=task.status)
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def task_submit(
    *,
    task: Task | int,
    actor: User,
    note: str = "",
    files: Iterable = (),
    expected_version: int | None = None,
) -> Task:
    """The assignee hands the work in (with a note and evidence files): → 待审核. Reviewers are told."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_work_task(actor, task), "只有任务责任人可以提交该任务。")
    _require_stage_open(task)
    old = _move(task, "submit")
    for upload in files:
        _store_evidence(task, actor, upload)
    task.submitted_at = timezone.now()
    _save(task, "submitted_at")
    audit_record(
        actor=actor,
        action="tasks.task.submitted",
        target=task,
        plan=task.plan_id,
        old=old,
        new=task.status,
        reason=note,
    )
    if note.strip():
        Comment.objects.create(task=task, author=actor, body=f"【提交说明】{note.strip()}")
    notify(
        recipients=_seats(task.plan_id, REVIEWER_ROLES),
        kind=Notification.Kind.TASK_SUBMITTED,
        text=f"{actor} 提交了任务“{task.title}”,请审核。",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )
    _plan_changed(task.plan_id)
    return task


# --- the reviewers' side -----------------------------------------------------------------------


@transaction.atomic
def task_close(*, task: Task | int, actor: User, comment: str = "", expected_version: int | None = None) -> Task:
    """A reviewer accepts the work: 待审核 → 已完成. The assignee is told."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_review_task(actor, task), "只有组长、副组长或办公室主任可以审核任务。")
    _require_stage_open(task)
    old = _move(task, "close")
    task.closed_at = timezone.now()
    _save(task, "closed_at")
    audit_record(
        actor=actor,
        action="tasks.task.closed",
        target=task,
        plan=task.plan_id,
        old=old,
        new=task.status,
        reason=comment,
    )
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_CLOSED,
        text=f"任务“{task.title}”已审核通过。",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )
    _maybe_gate_ready(task, actor)
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def task_return(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """A reviewer sends the work back with a reason: 待审核 → 已退回. The assignee is told."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_review_task(actor, task), "只有组长、副组长或办公室主任可以退回任务。")
    reason = _require_reason(reason, "退回理由")
    _require_stage_open(task)
    old = _move(task, "return_")
    task.return_reason = reason
    _save(task, "return_reason")
    audit_record(
        actor=actor,
        action="tasks.task.returned",
        target=task,
        plan=task.plan_id,
        old=old,
        new=task.status,
        reason=reason,
    )
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_RETURNED,
        text=f"任务“{task.title}”被退回:{reason}",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def task_reopen(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """The leader reopens a closed task with a reason: 已完成 → 已退回 (back to the assignee)."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_reopen_task(actor, task), "只有组长可以重新打开已完成的任务。")
    reason = _require_reason(reason, "重新打开的理由")
    _require_stage_open(task)
    if task.waived:
        raise InvalidTransition("已豁免的任务不能重新打开。")
    if task.assignee_id is None:
        raise InvalidTransition("该任务没有责任人,请先分派。")
    old = _move(task, "reopen")
    task.return_reason = reason
    task.closed_at = None
    _save(task, "return_reason", "closed_at")
    audit_record(
        actor=actor,
        action="tasks.task.reopened",
        target=task,
        plan=task.plan_id,
        old=old,
        new=task.status,
        reason=reason,
    )
    notify(
        recipients=[task.assignee],
        kind=Notification.Kind.TASK_REOPENED,
        text=f"任务“{task.title}”已被组长重新打开:{reason}",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )
    _plan_changed(task.plan_id)
    return task


@transaction.atomic
def task_waive(*, task: Task | int, actor: User, reason: str, expected_version: int | None = None) -> Task:
    """The leader exempts an open task with a written reason; it then counts as done (已豁免)."""
    task = _locked(task)
    _check_version(task, expected_version)
    _require(perms.can_waive_task(actor, task), "只有组长可以豁免任务。")
    reason = _require_reason(reason, "豁免理由")
    _require_stage_open(task)
    old = _move(task, "waive")
    task.waived = True
    task.waive_reason = reason
    task.closed_at = timezone.now()
    _save(task, "waived", "waive_reason", "closed_at")
    audit_record(
        actor=actor, action="tasks.task.waived", target=task, plan=task.plan_id, old=old, new=task.status, reason=reason
    )
    if task.assignee_id:
        notify(
            recipients=[task.assignee],
            kind=Notification.Kind.TASK_CLOSED,
            text=f"任务“{task.title}”已由组长豁免:{reason}",
            url=_task_url(task),
            plan=task.plan,
            task=task,
            exclude=actor,
        )
    _maybe_gate_ready(task, actor)
    _plan_changed(task.plan_id)
    return task


# --- evidence and comments ---------------------------------------------------------------------


def _store_evidence(task: Task, actor: User, upload) -> Evidence:
    from tasks.evidence import validate_upload

    kind = validate_upload(upload)
    evidence = Evidence(
        task=task,
        original_name=kind.safe_name,
        content_type=kind.content_type,
        size=upload.size,
        uploaded_by=actor,
    )
    evidence.file.save(kind.safe_name, upload, save=False)
    evidence.save()
    audit_record(
        actor=actor,
        action="tasks.evidence.added",
        target=task,
        plan=task.plan_id,
        data={"evidence": evidence.pk, "name": evidence.original_name, "size": evidence.size},
    )
    return evidence


@transaction.atomic
def evidence_add(*, task: Task | int, actor: User, upload) -> Evidence:
    """Attach a file to a task that is not closed. Size and type limits: tasks.evidence."""
    task = _locked(task)
    _require(perms.can_add_evidence(actor, task), "只有任务责任人或领导小组办公室可以上传佐证材料。")
    if task.status == Task.Status.CLOSED:
        raise InvalidTransition("任务已完成,不能再上传佐证材料。")
    evidence = _store_evidence(task, actor, upload)
    _plan_changed(task.plan_id)
    return evidence


@transaction.atomic
def comment_add(*, task: Task | int, actor: User, body: str) -> Comment:
    """Post to a task's thread; the people taking part in the task are told."""
    task = _locked(task)
    _require(perms.can_comment_task(actor, task), "只有领导小组成员可以在任务下发表评论。")
    body = (body or "").strip()
    if not body:
        raise DomainError("评论内容不能为空。")
    if len(body) > 5000:
        raise DomainError("评论内容不能超过 5000 字。")
    comment = Comment.objects.create(task=task, author=actor, body=body)
    audit_record(
        actor=actor, action="tasks.comment.added", target=task, plan=task.plan_id, data={"comment": comment.pk}
    )
    notify(
        recipients=_participants(task),
        kind=Notification.Kind.COMMENT,
        text=f"{actor} 评论了任务“{task.title}”:{body[:60]}",
        url=_task_url(task),
        plan=task.plan,
        task=task,
        exclude=actor,
    )
    return comment


def _participants(task: Task) -> list[User]:
    """The assignee, earlier commenters and everyone who acted on the task."""
    ids = set(Comment.objects.filter(task=task).values_list("author_id", flat=True))
    from plans.models import AuditEntry

    ids |= set(
        AuditEntry.objects.filter(target_type="tasks.task", target_id=task.pk, actor__isnull=False).values_list(
            "actor_id", flat=True
        )
    )
    if task.assignee_id:
        ids.add(task.assignee_id)
    return list(User.objects.filter(pk__in=ids, is_active=True))
