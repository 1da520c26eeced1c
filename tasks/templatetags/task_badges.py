"""``{% task_status task %}``: a task's state badge, and 逾期N天 when it is late.

A tag rather than an included template: the plan page prints it for every task of the plan, and an
include per row (a context push, three calls to ``timezone.localdate``) was a visible share of the
page's CPU."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tasks.live import task_display

register = template.Library()

_TODAY = "task_status:today"  # not a dotted name: tests/audit reads those as audit actions


@register.simple_tag(takes_context=True)
def task_status(context: Any, task: Any) -> SafeString:
    today = context.render_context.get(_TODAY)
    if today is None:
        today = context.render_context[_TODAY] = timezone.localdate()
    badge = format_html('<span class="badge status-{}">{}</span>', task.status, task_display(task))
    if task.is_overdue_on(today):
        badge += format_html(' <span class="badge overdue">逾期{}天</span>', (today - task.due_on).days)
    return badge
