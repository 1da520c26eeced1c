"""Every action × every role × own school / other school / bureau: allowed ones succeed, refused
ones change nothing (task state, audit table, notifications, comments, evidence, stages)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEntry
from notifications.models import Notification
from plans.models import Measure, Stage
from tasks import services
from tasks.models import Comment, Evidence, Task
from tests.city_helpers import with_city
from tests.workflow_helpers import pdf, to_state
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db

ACTORS = [
    "leader",
    "deputy",
    "office",
    "assignee",
    "other_member",
    "staff",
    "other_school_leader",
    "other_school_office",
    "inspector",
    "bureau_admin",
    "centre_head",
    "city_user",
    "other_city_user",
]


def actor(county, name):
    a = county.a
    if name in ("city_user", "other_city_user"):  # a city over this county, and another city
        city = with_city(county)
        return city.user if name == "city_user" else city.other_user
    return {
        "leader": a.leader,
        "deputy": a.deputy,
        "office": a.office,
        "assignee": a.member,
        "other_member": a.member2,
        "staff": a.staff,
        "other_school_leader": county.b.leader,
        "other_school_office": county.b.office,
        "inspector": county.inspector,
        "bureau_admin": county.bureau_admin,
        "centre_head": county.centre_head,
    }[name]


def _finish_stage(county):
    a = county.a
    for task, who in ((a.tasks[0], a.member), (a.tasks[1], a.member2)):
        services.task_submit(task=task, actor=who)
        services.task_close(task=task, actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="x")
    return a.plan.stages.get(order=1)


# action → (state to set up, how to call it, who may)
ACTIONS = {
    "assign": (
        "unassigned",
        lambda c, t, u: services.task_assign(task=t, actor=u, assignee=c.a.member2),
        {"leader", "deputy", "office"},
    ),
    "reassign": (
        "assigned",
        lambda c, t, u: services.task_assign(task=t, actor=u, assignee=c.a.member2),
        {"leader", "deputy", "office"},
    ),
    "start": ("assigned", lambda c, t, u: services.task_start(task=t, actor=u), {"assignee"}),
    "submit": ("in_progress", lambda c, t, u: services.task_submit(task=t, actor=u, note="n"), {"assignee"}),
    "close": ("submitted", lambda c, t, u: services.task_close(task=t, actor=u), {"leader", "deputy", "office"}),
    "return": (
        "submitted",
        lambda c, t, u: services.task_return(task=t, actor=u, reason="r"),
        {"leader", "deputy", "office"},
    ),
    "reopen": ("closed", lambda c, t, u: services.task_reopen(task=t, actor=u, reason="r"), {"leader"}),
    "waive": ("assigned", lambda c, t, u: services.task_waive(task=t, actor=u, reason="r"), {"leader"}),
    "cancel": (
        "in_progress",
        lambda c, t, u: services.task_cancel(task=t, actor=u, reason="不再开展"),
        {"leader", "deputy", "office"},
    ),
    "cancel_measure": (
        "assigned",
        lambda c, t, u: services.measure_cancel(measure=t.measure, actor=u, reason="不再开展"),
        {"leader", "deputy", "office"},
    ),
    "comment": (
        "assigned",
        lambda c, t, u: services.comment_add(task=t, actor=u, body="意见"),
        {"leader", "deputy", "office", "assignee", "other_member"},
    ),
    "evidence": (
        "assigned",
        lambda c, t, u: services.evidence_add(task=t, actor=u, upload=pdf()),
        {"leader", "deputy", "office", "assignee"},
    ),
    "create": (
        "assigned",
        lambda c, t, u: services.task_create(actor=u, measure=c.a.measure, title="新任务"),
        {"leader", "deputy", "office"},
    ),
    "sign_gate": ("gate", lambda c, t, u: stage_complete(stage=t, actor=u), {"leader"}),
}


def world(county):
    return (
        list(Task.objects.order_by("pk").values_list("pk", "status", "assignee_id", "version", "waived", "cancelled")),
        list(Measure.objects.order_by("pk").values_list("pk", "cancelled")),
        list(Stage.objects.order_by("pk").values_list("pk", "status")),
        AuditEntry.objects.count(),
        Notification.objects.count(),
        Comment.objects.count(),
        Evidence.objects.count(),
    )


class Rollback(Exception):
    pass


@pytest.mark.parametrize("action", list(ACTIONS))
def test_action_matrix(county, action):
    """One county per action; each actor's attempt runs in a savepoint that is rolled back."""
    from django.db import transaction

    state, call, allowed = ACTIONS[action]
    target = _finish_stage(county) if state == "gate" else to_state(county.a, state)
    problems = []
    for who in ACTORS:
        user = actor(county, who)
        before = world(county)
        try:
            with transaction.atomic():
                if who in allowed:
                    call(county, target, user)
                    if world(county) == before or not AuditEntry.objects.filter(actor=user).exists():
                        problems.append(f"{who}: allowed but nothing was recorded")
                else:
                    try:
                        call(county, target, user)
                        problems.append(f"{who}: should have been refused")
                    except PermissionDenied:
                        if world(county) != before:
                            problems.append(f"{who}: refused but something changed")
                raise Rollback
        except Rollback:
            pass
        assert world(county) == before, f"{who}: the savepoint did not restore the world"
    assert not problems, problems
