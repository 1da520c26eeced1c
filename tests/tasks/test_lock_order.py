"""Lock order between task transitions and the measure-wide services (PostgreSQL).

A task transition holds its task's row and then, through the tally trigger
(dashboards/migrations/0002), shares its measure's row. A service that locked the measure first
and the measure's tasks second would deadlock with it: PostgreSQL would abort one of them and a
user would see an error. The measure-wide services lock the tasks first."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from core.errors import DomainError
from plans.models import Measure
from tasks import services
from tasks.models import Task
from tests.workflow_helpers import fresh

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def _while_a_task_is_held(task: Task, closer_actor, measure_wide) -> dict:
    """Thread 1 holds ``task`` as a transition does, waits until thread 2 has started the
    measure-wide service, then closes the task (its trigger shares the measure's row)."""
    held, outcomes = threading.Event(), {}

    def closer():
        try:
            with transaction.atomic():
                Task.objects.select_for_update(of=("self",)).get(pk=task.pk)
                held.set()
                time.sleep(1.5)  # the other thread is now waiting on a lock
                services.task_close(task=task.pk, actor=closer_actor)
            outcomes["close"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion
            outcomes["close"] = exc
        finally:
            connection.close()

    def other():
        held.wait(10)
        try:
            measure_wide()
            outcomes["other"] = "ok"
        except Exception as exc:  # noqa: BLE001
            outcomes["other"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=closer), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def submitted(county):
    if connection.vendor != "postgresql":
        pytest.skip("the tally triggers share the measure's row on PostgreSQL only")
    a = county.a
    task = a.tasks[0]
    services.task_start(task=task, actor=a.member)
    services.task_submit(task=task, actor=a.member)
    return a, task


def test_a_measure_cancelled_while_one_of_its_tasks_is_closed(submitted):
    a, task = submitted
    outcomes = _while_a_task_is_held(
        task, a.office, lambda: services.measure_cancel(measure=task.measure_id, actor=a.leader, reason="调整方案")
    )
    assert outcomes["close"] == "ok", outcomes
    assert outcomes["other"] == "ok" or isinstance(outcomes["other"], DomainError), outcomes
    assert fresh(task).status == Task.Status.CLOSED
    assert Measure.objects.get(pk=task.measure_id).cancelled == (outcomes["other"] == "ok")


def test_plan_dates_shifted_while_one_of_its_tasks_is_closed(submitted):
    a, task = submitted
    outcomes = _while_a_task_is_held(
        task, a.office, lambda: services.plan_dates_shift(actor=a.leader, plan=a.plan, days=7)
    )
    assert outcomes == {"close": "ok", "other": "ok"}, outcomes
    assert fresh(task).status == Task.Status.CLOSED
