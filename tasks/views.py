"""Task pages: detail with its actions, creation, bulk assignment, the inbox, evidence download.

Views check the same predicates as the services (to hide buttons and answer 403), hand the
request to one service, and turn a refused action into a clear message on the page it came from.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audit.labels import action_label
from audit.models import AuditEntry
from core.errors import DomainError, StaleObject, require
from core.redirects import redirect_back
from core.storage import download_response
from core.uploads import ACCEPT
from orgs.models import User
from plans.models import Measure, WorkingGroup
from plans.selectors import visible_plans
from tasks import permissions as perms
from tasks import services
from tasks.deadlines import task_nudge
from tasks.extensions import filing_apply, filing_choices, filing_offers
from tasks.forms import (
    BulkAssignForm,
    CommentForm,
    EvidenceForm,
    ReasonForm,
    SubmitForm,
    TaskEditForm,
    TaskForm,
    seat_choices,
)
from tasks.models import Comment, Evidence, Task
from tasks.rules import allowed_task_actions
from tasks.selectors import task_for, task_reminder_context

REASON_ACTIONS = {"tasks.task.returned", "tasks.task.reopened", "tasks.task.waived", "tasks.task.cancelled"}


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, task_for(request.user, pk))


def _detail(request: HttpRequest, task: Task, typed: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    """The task page; ``typed`` holds what a refused form carried (by action), shown again."""
    history = list(
        AuditEntry.objects.filter(target_type="tasks.task", target_id=task.pk)
        .select_related("actor")
        .order_by("created_at", "id")
    )
    for entry in history:
        entry.label = action_label(entry.action)
        entry.reason_label = "理由" if entry.action in REASON_ACTIONS else "说明"
    actions = allowed_task_actions(request.user, task)
    return render(
        request,
        "tasks/task_detail.html",
        {
            **task_reminder_context(request.user, task),
            "task": task,
            "history": history,
            "actions": actions,
            "evidence": list(task.evidence.select_related("uploaded_by")),
            "filing_offers": filing_offers(request.user, task.plan) if "evidence" in actions else [],
            "comments": _comments(request.user, task),
            "assignees": seat_choices(task.plan) if "assign" in actions else [],
            "accept": ACCEPT,
            "stage": task.measure.stage,
            "typed": typed or {},
        },
        status=status,
    )


def _back(request: HttpRequest, task: Task) -> HttpResponse:
    return redirect_back(request, reverse("tasks:task_detail", args=[task.pk]))


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


def _first_error(form) -> str:
    for errors in form.errors.values():
        return errors[0]
    return "提交的内容无效。"


ACTION_DONE = {
    "assign": "任务已分派。",
    "start": "已开始办理。",
    "submit": "已提交审核。",
    "close": "任务已审核通过。",
    "return": "任务已退回。",
    "reopen": "任务已重新打开。",
    "waive": "任务已豁免。",
    "cancel": "任务已取消。",
}


# The text each action's form carries, kept when the action is refused.
TYPED_FIELDS = {"submit": "note", "return": "reason", "reopen": "reason", "waive": "reason"}


@login_required
@require_POST
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One endpoint for every transition button; the service decides, the page explains."""
    task = task_for(request.user, pk)
    if action not in ACTION_DONE:
        raise Http404("未知操作。")
    user, version = request.user, _version(request)
    try:
        if action == "assign":
            require(perms.can_assign_task(user, task))
            assignee_id = request.POST.get("assignee", "")
            assignee = User.objects.filter(pk=int(assignee_id)).first() if assignee_id.isdecimal() else None
            if assignee is None:
                raise DomainError("请选择责任人。")
            services.task_assign(task=task, actor=user, assignee=assignee, expected_version=version)
        elif action == "start":
            require(perms.can_work_task(user, task))
            services.task_start(task=task, actor=user, expected_version=version)
        elif action == "submit":
            require(perms.can_work_task(user, task))
            form = SubmitForm(request.POST, request.FILES)
            if not form.is_valid():
                raise DomainError(_first_error(form))
            services.task_submit(
                task=task,
                actor=user,
                note=form.cleaned_data["note"],
                files=form.cleaned_data["files"],
                expected_version=version,
            )
        elif action == "close":
            require(perms.can_review_task(user, task))
            services.task_close(task=task, actor=user, expected_version=version)
        else:
            form = ReasonForm(request.POST)
            check = {
                "return": perms.can_review_task,
                "reopen": perms.can_reopen_task,
                "waive": perms.can_waive_task,
                "cancel": perms.can_cancel_task,
            }
            require(check[action](user, task))
            if not form.is_valid():
                raise DomainError(_first_error(form))
            service = {
                "return": services.task_return,
                "reopen": services.task_reopen,
                "waive": services.task_waive,
                "cancel": services.task_cancel,
            }
            service[action](task=task, actor=user, reason=form.cleaned_data["reason"], expected_version=version)
    except StaleObject as exc:
        messages.warning(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
        if action in TYPED_FIELDS:
            # Refused (a file, a missing reason, ...): the page again with what was typed, not a
            # redirect that would lose it. Files cannot be kept; the message says which one failed.
            field = TYPED_FIELDS[action]
            typed = {action: request.POST.get(field, "")}
            return _detail(request, task_for(user, pk), typed=typed, status=400)
    else:
        messages.success(request, ACTION_DONE[action])
    return _back(request, task)


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    require(perms.can_add_evidence(request.user, task))
    form = EvidenceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise DomainError(_first_error(form))
        filings = filing_choices(request.user, task.plan, request.POST)  # checked before anything is written
        evidence = services.evidence_add(task=task, actor=request.user, upload=form.cleaned_data["file"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已上传“{evidence.original_name}”。")
        filing_apply(request, task.plan, filings, "task", evidence.pk)
    return _back(request, task)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Serve a file only to people who may see its task; always as a download."""
    evidence = Evidence.objects.filter(pk=pk).select_related("task__plan__school").first()
    if evidence is None or not perms.can_view_task(request.user, evidence.task):
        raise Http404("文件不存在或您无权查看。")
    return download_response(evidence.file, filename=evidence.original_name, content_type=evidence.content_type)


def _comments(user: Any, task: Task) -> list[Comment]:
    """The thread; each comment knows whether this viewer may withdraw it (one predicate, twice)."""
    comments = list(task.comments.select_related("author", "task__plan"))
    for c in comments:
        c.may_withdraw = perms.can_withdraw_comment(user, c)
    return comments


@login_required
@require_POST
def comment_withdraw(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Withdraw a comment of a task the viewer may see (404 otherwise, and for another task's id)."""
    task = task_for(request.user, pk)
    comment = get_object_or_404(Comment, pk=comment_pk, task=task)
    try:
        services.comment_withdraw(comment=comment, actor=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "评论已撤回。")
    return redirect(reverse("tasks:task_detail", args=[task.pk]) + "#comments")


@login_required
@require_POST
def comment_post(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    require(perms.can_comment_task(request.user, task))
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_first_error(form))
        services.comment_add(task=task, actor=request.user, body=form.cleaned_data["body"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "评论已发布。")
    return redirect(reverse("tasks:task_detail", args=[task.pk]) + "#comments")


@login_required
def task_edit(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    if "edit" not in allowed_task_actions(request.user, task):
        raise PermissionDenied("只有组长、副组长或办公室主任可以编辑未完成的任务。")
    initial = {
        "title": task.title,
        "description": task.description,
        "due_on": task.due_on,
        "weight": task.weight,
        "version": task.version,
    }
    form = TaskEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_update(
                task=task,
                actor=request.user,
                title=data["title"],
                description=data["description"],
                due_on=data["due_on"],
                weight=data["weight"],
                expected_version=data["version"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "任务已保存。")
            return redirect("tasks:task_detail", pk=task.pk)
    return render(request, "tasks/task_edit.html", {"form": form, "task": task, "plan": task.plan})


def _measure_for(request: HttpRequest, measure_pk: int) -> Measure:
    measure = get_object_or_404(
        Measure.objects.select_related("stage__plan__school").filter(stage__plan__in=visible_plans(request.user)),
        pk=measure_pk,
    )
    if not perms.can_create_task(request.user, measure.stage.plan):
        raise PermissionDenied("只有组长、副组长或办公室主任可以管理任务。")
    return measure


@login_required
def task_new(request: HttpRequest, measure_pk: int) -> HttpResponse:
    measure = _measure_for(request, measure_pk)
    plan = measure.stage.plan
    form = TaskForm(
        request.POST or None, plan=plan, initial={"starts_on": measure.starts_on, "due_on": measure.ends_on}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assignee = User.objects.filter(pk=data["assignee"]).first() if data["assignee"] else None
        try:
            task = services.task_create(
                actor=request.user,
                measure=measure,
                title=data["title"],
                description=data["description"],
                assignee=assignee,
                starts_on=data["starts_on"],
                due_on=data["due_on"],
                weight=data["weight"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"已新建任务“{task.title}”。")
            return redirect(reverse("plans:plan_detail", args=[plan.pk]) + f"#measure-{measure.pk}")
    return render(request, "tasks/task_form.html", {"form": form, "measure": measure, "plan": plan})


@login_required
@require_POST
def bulk_assign(request: HttpRequest, measure_pk: int) -> HttpResponse:
    """Assign the ticked tasks of a measure to one person or round-robin to a working group."""
    measure = _measure_for(request, measure_pk)
    plan = measure.stage.plan
    choices = [(t.pk, t.title) for t in measure.tasks.all()]
    form = BulkAssignForm(request.POST, plan=plan, task_choices=choices)
    back = redirect(reverse("plans:plan_detail", args=[plan.pk]) + f"#measure-{measure.pk}")
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return back
    kind, _, ident = form.cleaned_data["target"].partition(":")
    target = {"assignee": None, "working_group": None}
    if kind == "user":
        target["assignee"] = User.objects.get(pk=ident)
    else:
        target["working_group"] = WorkingGroup.objects.get(pk=ident, plan=plan)
    try:
        done = services.tasks_assign_bulk(actor=request.user, tasks=form.cleaned_data["tasks"], **target)
    except DomainError as exc:
        messages.error(request, f"批量分派未执行：{exc.message}")
    else:
        messages.success(request, f"已分派 {len(done)} 项任务。")
    return back


@login_required
@require_GET
def task_reminders_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The 催办 record of one task on a page of its own (the task page includes the same block)."""
    task = task_for(request.user, pk)
    return render(request, "tasks/task_reminders.html", task_reminder_context(request.user, task))


@login_required
@require_POST
def nudge(request: HttpRequest, pk: int) -> HttpResponse:
    """The office chases the assignee (人工催办). Permission is enforced by the service (403)."""
    task = task_for(request.user, pk)
    try:
        task_nudge(actor=request.user, task=task, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已催办 {task.assignee}，对方将立即收到通知。")
    return _back(request, task)
