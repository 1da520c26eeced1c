"""Evidence files and the comment thread of a task."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.uploads import CheckedFile, StagedFile, staged_uploads
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from tasks.models import Comment, Evidence, Task, evidence_upload_to
from tasks.permissions import COMMENT_WITHDRAW_HOURS, can_withdraw_comment, comment_withdraw_window_open
from tasks.rules import check_task_action
from tasks.services._steps import _locked, _plan_changed, _task_url


@contextmanager
def staged_evidence(task: Task | int, uploads: Iterable[Any]) -> Iterator[list[StagedFile]]:
    """Check and store uploads before any row lock is taken (core.uploads): writing megabytes to
    disk must not hold a task's lock. The block attaches them inside its transaction; if it raises,
    the files are removed again."""
    uploads = list(uploads)
    stub = Evidence(task=Task.objects.only("id", "plan_id").get(pk=task.pk if isinstance(task, Task) else task))
    storage = Evidence._meta.get_field("file").storage

    def path_for(checked: CheckedFile) -> str:
        return evidence_upload_to(stub, checked.safe_name)

    with staged_uploads(uploads, storage=storage, path_for=path_for) as staged:
        yield staged


def _store_evidence(task: Task, actor: User, staged: StagedFile) -> Evidence:
    """Attach a staged file to the task (the caller holds the task's lock)."""
    evidence = Evidence(
        task=task,
        file=staged.stored_name,
        original_name=staged.original_name,
        content_type=staged.content_type,
        size=staged.size,
        sha256=staged.sha256,
        uploaded_by=actor,
    )
    evidence.save()
    audit_record(
        actor=actor,
        action="tasks.evidence.added",
        target=task,
        plan=task.plan_id,
        data={
            "evidence": evidence.pk,
            "name": evidence.original_name,
            "size": evidence.size,
            "file": evidence.file.name,
            "sha256": evidence.sha256,
        },
    )
    return evidence


def evidence_add(*, task: Task | int, actor: User, upload: Any) -> Evidence:
    """Attach a file to a task that is not closed. Size, type and content: core.uploads."""
    with staged_evidence(task, [upload]) as staged:
        return _evidence_add(task=task, actor=actor, staged=staged[0])


@transaction.atomic
def _evidence_add(*, task: Task | int, actor: User, staged: StagedFile) -> Evidence:
    task = _locked(task)
    check_task_action(actor, task, "evidence")
    evidence = _store_evidence(task, actor, staged)
    _plan_changed(task.plan_id)
    return evidence


@transaction.atomic
def comment_add(*, task: Task | int, actor: User, body: str) -> Comment:
    """Post to a task's thread; the people taking part in the task are told."""
    task = _locked(task)
    check_task_action(actor, task, "comment")
    body = (body or "").strip()
    if not body:
        raise DomainError("评论内容不能为空。")
    if len(body) > 5000:
        raise DomainError("评论内容不能超过 5000 字。")
    comment = Comment.objects.create(task=task, author=actor, body=body)
    audit_record(
        actor=actor, action="tasks.comment.added", target=task, plan=task.plan_id,
        data={"comment": comment.pk, "body": body},
    )
    notify(
        recipients=_participants(task),
        kind=Notification.Kind.COMMENT,
        text=f"{actor} 评论了任务“{task.title}”：{body[:60]}",
        url=_task_url(task),
        plan=task.plan,
        exclude=actor,
    )
    return comment


@transaction.atomic
def comment_withdraw(*, comment: Comment | int, actor: User, reason: str = "") -> Comment:
    """Withdraw a comment (tasks.permissions.can_withdraw_comment): the task page shows 已撤回, the
    row keeps its text and the audit entry records it. The author is told when someone else
    withdrew it. A second withdrawal (double submit) is refused and changes nothing."""
    pk = comment.pk if isinstance(comment, Comment) else comment
    locked = Comment.objects.select_for_update(of=("self",)).select_related("task__plan").filter(pk=pk).first()
    if locked is None:
        raise DomainError("没有找到该评论。")
    if locked.withdrawn_at is not None:
        raise InvalidTransition("该评论已撤回。")
    if not can_withdraw_comment(actor, locked):
        raise NotAllowed(_withdraw_refusal(actor, locked))
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise DomainError("撤回原因不能超过 200 字。")
    locked.withdrawn_at, locked.withdrawn_by = timezone.now(), actor
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    task = locked.task
    audit_record(
        actor=actor, action="tasks.comment.withdrawn", target=task, plan=task.plan_id, reason=reason,
        data={"comment": locked.pk, "author": locked.author_id, "body": locked.body},
    )
    if locked.author_id != actor.pk:
        notify(
            recipients=[locked.author], kind=Notification.Kind.COMMENT,
            text=f"{actor} 撤回了您在任务“{task.title}”下的评论" + (f":{reason}" if reason else "。"),
            url=_task_url(task), plan=task.plan, exclude=actor,
        )
    return locked


def _withdraw_refusal(actor: User, comment: Comment) -> str:
    if comment.author_id == actor.pk and not comment_withdraw_window_open(comment):
        return f"评论发表已超过 {COMMENT_WITHDRAW_HOURS} 小时，只能由方案的组长、副组长或办公室撤回。"
    return "只有评论的作者或方案的组长、副组长、办公室可以撤回评论。"


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
