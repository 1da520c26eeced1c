"""One check per action, asked twice: the task page offers exactly the actions the services accept.

For every state a task can be in, every role and every action, ``allowed_task_actions`` (what the
page shows) must agree with what the service does when called: allowed → it succeeds, not allowed →
it refuses and changes nothing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from core.errors import DomainError
from plans.models import Stage
from tasks import services
from tasks.deadlines import task_nudge
from tasks.models import Task
from tasks.rules import allowed_task_actions
from tests.workflow_helpers import fresh, pdf, to_state

STATES = [
    "unassigned",
    "assigned",
    "in_progress",
    "submitted",
    "returned",
    "closed",
    "waived",
    "cancelled",
    "pending_stage",
]
ROLES = ["leader", "deputy", "office", "member", "member2", "staff"]
ACTIONS = [
    "assign",
    "start",
    "submit",
    "close",
    "return",
    "reopen",
    "waive",
    "cancel",
    "evidence",
    "comment",
    "nudge",
]


def _task_in(a, state: str) -> Task:
    if state == "waived":
        return services.task_waive(task=a.tasks[0], actor=a.leader, reason="本校不涉及")
    if state == "cancelled":
        return services.task_cancel(task=a.tasks[0], actor=a.office, reason="不再开展")
    if state == "pending_stage":
        return fresh(a.tasks[3])
    return to_state(a, state)


def _attempt(a, user, task: Task, action: str) -> None:
    if action == "assign":
        other = a.member2 if task.assignee_id == a.member.pk else a.member
        services.task_assign(task=task, actor=user, assignee=other)
    elif action in ("start", "close"):
        getattr(services, f"task_{action}")(task=task, actor=user)
    elif action == "submit":
        services.task_submit(task=task, actor=user, note="ok")
    elif action in ("return", "reopen", "waive", "cancel"):
        getattr(services, f"task_{action}")(task=task, actor=user, reason="理由")
    elif action == "evidence":
        services.evidence_add(task=task, actor=user, upload=pdf())
    elif action == "comment":
        services.comment_add(task=task, actor=user, body="意见")
    elif action == "nudge":
        task_nudge(actor=user, task=task)


def _loaded(task: Task) -> Task:
    return Task.objects.select_related("plan__school", "measure__stage", "assignee").get(pk=task.pk)


@pytest.mark.parametrize("state", STATES)
def test_the_page_offers_exactly_what_the_services_accept(county, state):
    a = county.a
    task = _task_in(a, state)
    mismatches = []
    for role in ROLES:
        user = getattr(a, role)
        offered = allowed_task_actions(user, _loaded(task))
        for action in ACTIONS:
            before = fresh(task)
            try:
                with transaction.atomic():
                    _attempt(a, user, fresh(task), action)
                    raise _Rollback
            except _Rollback:
                accepted = True
            except (DomainError, PermissionDenied):
                accepted = False
                after = fresh(task)
                assert (after.status, after.version, after.assignee_id) == (
                    before.status,
                    before.version,
                    before.assignee_id,
                ), f"{role} {action} in {state}: refused but changed the task"
            if accepted != (action in offered):
                mismatches.append((role, action, "offered" if action in offered else "hidden", accepted))
    assert mismatches == []


def test_the_check_covers_stage_guards(county):
    a = county.a
    later = _loaded(a.tasks[3])
    assert later.measure.stage.status == Stage.Status.PENDING
    assert allowed_task_actions(a.member, later) & {"start", "submit"} == set()
    assert "assign" in allowed_task_actions(a.office, later)  # planning ahead is allowed


class _Rollback(Exception):
    """Raised inside the atomic block after a successful attempt, so every attempt starts afresh."""
