"""Notification pages and the small JSON feed the live header re-reads on every (re)connect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from notifications import selectors
from notifications.deadlines import task_nudge
from notifications.models import Notification
from notifications.services import notification_mark_read, notifications_mark_all_read
from plans.errors import DomainError
from tasks.selectors import task_for

PAGE_SIZE = 30


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    kind = kind if kind in Notification.Kind.values else ""
    state = state if state in ("unread", "read") else ""
    page = Paginator(selectors.inbox(request.user, kind=kind, state=state), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.with_safe_links(request.user, list(page.object_list))
    filters = urlencode({k: v for k, v in (("kind", kind), ("state", state)) if v})
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "rows": rows,
            "kind": kind,
            "state": state,
            "kinds": Notification.Kind.choices,
            "filters": filters,
            "unread": selectors.unread_count(request.user),
            "upto_id": rows[0].pk if rows and page.number == 1 else "",
        },
    )


@never_cache
@require_GET
def feed(request: HttpRequest) -> JsonResponse:
    """Unread count and newest notifications. 401 (not a login redirect) so scripts can stop."""
    if not (request.user.is_authenticated and request.user.is_active):
        return JsonResponse({"error": "login_required"}, status=401)
    return JsonResponse(selectors.feed(request.user), json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; a repeated POST (double click) is a no-op, not an error."""
    try:
        notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("通知不存在。") from None
    if _wants_json(request):
        return JsonResponse({"ok": True, "unread": selectors.unread_count(request.user)})
    return _back(request, "notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("upto", "")
    upto = int(raw) if raw.isdigit() else None
    changed = notifications_mark_all_read(user=request.user, upto_id=upto)
    if _wants_json(request):
        return JsonResponse({"ok": True, "changed": changed, "unread": selectors.unread_count(request.user)})
    if changed:
        messages.success(request, f"已将 {changed} 条通知标为已读。")
    return _back(request, "notifications:inbox")


@login_required
@require_GET
def task_reminders_page(request: HttpRequest, task_id: int) -> HttpResponse:
    """The 催办 record of one task on a page of its own (the task page includes the same block)."""
    task = task_for(request.user, task_id)
    return render(request, "notifications/task_reminders.html", selectors.task_reminder_context(request.user, task))


@login_required
@require_POST
def nudge(request: HttpRequest, task_id: int) -> HttpResponse:
    """The office chases the assignee (人工催办). Permission is enforced by the service (403)."""
    task = task_for(request.user, task_id)
    try:
        task_nudge(actor=request.user, task=task, note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已催办 {task.assignee}，对方将立即收到通知。")
    return _back(request, reverse("tasks:task_detail", args=[task.pk]))
