"""Evidence files and the comment thread of a task."""

from __future__ import annotations

from django.db import transaction

from notifications.models import Notification
from notifications.services import notify
from plans.audit import audit_record
from plans.errors import DomainError, InvalidTransition
from plans.models import AuditEntry, User
from tasks import permissions as perms
from tasks.models import Comment, Evidence, Task
from tasks.services._steps import _locked, _plan_changed, _require, _task_url

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

    ids |= set(
        AuditEntry.objects.filter(target_type="tasks.task", target_id=task.pk, actor__isnull=False).values_list(
            "actor_id", flat=True
        )
    )
    if task.assignee_id:
        ids.add(task.assignee_id)
    return list(User.objects.filter(pk__in=ids, is_active=True))
