"""Task pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from plans.audit import action_label
from plans.models import AuditEntry
from tasks.selectors import task_for


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    history = list(
        AuditEntry.objects.filter(target_type="tasks.task", target_id=task.pk).select_related("actor").order_by("created_at", "id")
    )
    for entry in history:
        entry.label = action_label(entry.action)
    return render(request, "tasks/task_detail.html", {"task": task, "history": history})
