"""Two people acting on one task at the same instant, with real threads and real connections:
exactly one wins, the other gets a clear message, and state, audit and counts stay consistent."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from audit.models import AuditEntry
from core.errors import DomainError
from notifications.models import Notification
from tasks import services
from tasks.models import Task
from tests.workflow_helpers import fresh, to_state
from workflows.services import stage_complete

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run the calls in threads released together; return each one's outcome ('ok' or the error)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            fn()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = exc
        except Exception as exc:  # noqa: BLE001 - a crash is a failure the test reports
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def one_winner(outcomes):
    winners = [o for o in outcomes if o == "ok"]
    losers = [o for o in outcomes if o != "ok"]
    assert len(winners) == 1, outcomes
    for loser in losers:
        assert isinstance(loser, DomainError), repr(loser)  # a clear message, not a crash or a lock error
        assert loser.message
    return outcomes.index("ok")


@pytest.mark.parametrize("round_", range(3))
def test_two_reviewers_close_and_return_at_once(county, round_):
    a = county.a
    task = to_state(a, "submitted")
    version = task.version
    audit_before = AuditEntry.objects.count()
    notes_before = Notification.objects.filter(recipient=a.member).count()
    outcomes = race(
        lambda: services.task_close(task=task.pk, actor=a.office, expected_version=version),
        lambda: services.task_return(task=task.pk, actor=a.deputy, reason="补充材料", expected_version=version),
    )
    winner = one_winner(outcomes)
    task = fresh(task)
    assert task.status == (Task.Status.CLOSED, Task.Status.RETURNED)[winner]
    assert task.version == version + 1
    assert AuditEntry.objects.count() == audit_before + 1
    assert (
        AuditEntry.objects.filter(target_id=task.pk, action__in=["tasks.task.closed", "tasks.task.returned"]).count()
        == 1
    )
    assert Notification.objects.filter(recipient=a.member).count() == notes_before + 1


@pytest.mark.parametrize("round_", range(3))
def test_member_submits_while_the_office_reassigns(county, round_):
    a = county.a
    task = to_state(a, "in_progress")
    version = task.version
    outcomes = race(
        lambda: services.task_submit(task=task.pk, actor=a.member, note="完成", expected_version=version),
        lambda: services.task_assign(task=task.pk, actor=a.office, assignee=a.member2, expected_version=version),
    )
    winner = one_winner(outcomes)
    task = fresh(task)
    if winner == 0:
        assert (task.status, task.assignee_id) == (Task.Status.SUBMITTED, a.member.pk)
    else:
        assert (task.status, task.assignee_id) == (Task.Status.ASSIGNED, a.member2.pk)
    assert (
        AuditEntry.objects.filter(
            target_id=task.pk, action__in=["tasks.task.submitted", "tasks.task.reassigned"]
        ).count()
        == 1
    )


def test_many_reviewers_race_without_a_version(county):
    """Without the page's version the state guard alone still lets exactly one through."""
    a = county.a
    task = to_state(a, "submitted")
    outcomes = race(*[lambda u=u: services.task_close(task=task.pk, actor=u) for u in (a.office, a.deputy, a.leader)])
    one_winner(outcomes)
    assert fresh(task).status == Task.Status.CLOSED
    assert AuditEntry.objects.filter(target_id=task.pk, action="tasks.task.closed").count() == 1


def test_gate_signature_and_a_reopen_race(county):
    a = county.a
    for t, who in ((a.tasks[0], a.member), (a.tasks[1], a.member2)):
        services.task_submit(task=t, actor=who)
        services.task_close(task=t, actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="x")
    stage = a.plan.stages.get(order=1)
    outcomes = race(
        lambda: stage_complete(stage=stage.pk, actor=a.leader),
        lambda: services.task_reopen(task=a.tasks[0].pk, actor=a.leader, reason="复查"),
    )
    winner = one_winner(outcomes)
    stage.refresh_from_db()
    task = fresh(a.tasks[0])
    if winner == 0:
        assert stage.status == "completed" and task.status == Task.Status.CLOSED
    else:
        assert stage.status == "open" and task.status == Task.Status.RETURNED
