"""``{% task_reminders task %}``: the 催办 block of a task page, without extra view context."""

from django import template

from tasks.selectors import task_reminder_context

register = template.Library()


@register.inclusion_tag("tasks/_task_reminders.html", takes_context=True)
def task_reminders(context, task):
    request = context["request"]
    data = task_reminder_context(request.user, task)
    data["csrf_token"] = context.get("csrf_token")
    data["request"] = request
    return data
