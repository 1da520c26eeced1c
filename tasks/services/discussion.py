"""Evidence files and the comment thread of a task."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from notifications.models import Notification
from notifications.services import notify
from plans.audit import audit_record
from plans.errors import DomainError, InvalidTransition
from plans.models import AuditEntry, User
from tasks import permissions as perms
from tasks.evidence import validate_upload
from tasks.models import Comment, Evidence, Task, evidence_upload_to
from tasks.services._steps import _locked, _plan_changed, _require, _task_url

# --- evidence and comments ---------------------------------------------------------------------


@dataclass(frozen=True)
class StagedFile:
    """An uploaded file checked and written to storage, not yet attached to its task."""

    stored_name: str
    original_name: str
    content_type: str
    size: int


def _storage():
    return Evidence._meta.get_field("file").storage


def stage_uploads(task: Task | int, uploads: Iterable) -> list[StagedFile]:
    """Check and store uploads before any row lock is taken: writing megabytes to disk must not
    hold a task's lock. The caller attaches them inside its transaction, or discards them if that
    transaction fails."""
    uploads = list(uploads)
    if not uploads:
        return []
    stub = Evidence(task=Task.objects.only("id", "plan_id").get(pk=task.pk if isinstance(task, Task) else task))
    staged: list[StagedFile] = []
    try:
        for upload in uploads:
            kind = validate_upload(upload)
            name = _storage().save(evidence_upload_to(stub, kind.safe_name), upload)
            staged.append(StagedFile(name, kind.safe_name, kind.content_type, upload.size))
    except BaseException:
        discard_staged(staged)
        raise
    return staged


def discard_staged(staged: Iterable[StagedFile]) -> None:
    for item in staged:
        _storage().delete(item.stored_name)


def _store_evidence(task: Task, actor: User, staged: StagedFile) -> Evidence:
    """Attach a staged file to the task (the caller holds the task's lock)."""
    evidence = Evidence(
        task=task,
        file=staged.stored_name,
        original_name=staged.original_name,
        content_type=staged.content_type,
        size=staged.size,
        uploaded_by=actor,
    )
    evidence.save()
    audit_record(
        actor=actor,
        action="tasks.evidence.added",
        target=task,
        plan=task.plan_id,
        data={"evidence": evidence.pk, "name": evidence.original_name, "size": evidence.size},
    )
    return evidence


def evidence_add(*, task: Task | int, actor: User, upload) -> Evidence:
    """Attach a file to a task that is not closed. Size and type limits: tasks.evidence."""
    staged = stage_uploads(task, [upload])
    try:
        return _evidence_add(task=task, actor=actor, staged=staged[0])
    except BaseException:
        discard_staged(staged)
        raise


@transaction.atomic
def _evidence_add(*, task: Task | int, actor: User, staged: StagedFile) -> Evidence:
    task = _locked(task)
    _require(perms.can_add_evidence(actor, task), "只有任务责任人或领导小组办公室可以上传佐证材料。")
    if task.status == Task.Status.CLOSED:
        raise InvalidTransition("任务已完成,不能再上传佐证材料。")
    evidence = _store_evidence(task, actor, staged)
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
