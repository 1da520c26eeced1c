"""Shared set-up for workflow tests: move a task to a state through the real services."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tasks import services
from tasks.models import Task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "证明材料.pdf", size: int | None = None) -> SimpleUploadedFile:
    body = PDF if size is None else PDF + b"0" * (size - len(PDF))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def fresh(task: Task) -> Task:
    return Task.objects.get(pk=task.pk)


def to_state(school, state: str) -> Task:
    """School's first task (assigned to ``member``) moved to ``state`` by the right people."""
    task = school.tasks[0]
    if state == "assigned":
        return fresh(task)
    if state == "unassigned":
        return fresh(school.tasks[2])
    if state == "in_progress":
        return services.task_start(task=task, actor=school.member)
    services.task_submit(task=task, actor=school.member, note="完成", files=[pdf()])
    if state == "submitted":
        return fresh(task)
    if state == "returned":
        return services.task_return(task=task, actor=school.office, reason="材料不全")
    services.task_close(task=task, actor=school.office)
    if state == "closed":
        return fresh(task)
    raise ValueError(state)
