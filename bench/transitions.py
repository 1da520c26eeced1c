"""Task transitions per second under N concurrent workers (`manage.py bench transitions`).

Three measurements in one run, on data the benchmark creates in the configured database:
- full: tasks.services.task_close — row lock, permission, state and stage guards, audit row,
  notification row, on-commit push; the reviewer is re-read for every call, as in a request;
- baseline: a bare viewflow task completion — a one-step viewflow.workflow process
  (workflows.baseline.BareTaskFlow) whose task is completed by the engine alone (process lock,
  task status, next node), with no guard, audit or notification;
- fsm_bare: the bare viewflow.fsm transition this project's tasks use (TaskFlow.close) and a save
  in a transaction, also without any guard, audit or notification;
- raw: one UPDATE of the status column.
Each worker closes its own share of SUBMITTED tasks; latency is per transition.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, transaction
from viewflow.workflow.models import Process
from viewflow.workflow.models import Task as FlowTask

from audit.maintenance import audit_deletes_allowed
from audit.models import AuditEntry
from bench.baseline import BareTaskFlow
from bench.scale import build_scale
from notifications.models import Notification
from orgs.models import Organisation, User
from orgs.permissions import forget_permissions
from plans.models import LeadingGroupMember, Measure, Plan, Stage
from tasks.flows import TaskFlow
from tasks.models import Task
from tasks.services import task_close


def add_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--per-worker", type=int, default=100, help="Transitions per worker per measurement.")
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark's data.")


def run(options) -> dict:
    workers, per_worker = options["workers"], options["per_worker"]
    # The baseline's workflow tables exist only where benchmarks run (bench.settings installs
    # viewflow.workflow; production does not): create them in the benchmark database if missing.
    call_command("migrate", "viewflow", interactive=False, verbosity=0)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    build_scale(schools=1, tasks_per_school=1, prefix=prefix)
    plan = Plan.objects.get(school__code=f"{prefix}-s0001")
    try:
        batches = {name: _submitted_tasks(plan, workers * per_worker) for name in ("full", "fsm_bare", "raw")}
        flow_tasks = _flow_tasks(workers * per_worker)
        office_pk = LeadingGroupMember.objects.get(plan=plan, role="office").user_id
        results = {
            "full": _measure(workers, batches["full"], lambda pk: _full(pk, office_pk)),
            "baseline": _measure(workers, flow_tasks, _viewflow_complete),
            "fsm_bare": _measure(workers, batches["fsm_bare"], _fsm_bare),
            "raw": _measure(workers, batches["raw"], _raw),
        }
        closed = Task.objects.filter(pk__in=sum(batches.values(), []), status=Task.Status.CLOSED).count()
        _drop_flow_tasks(flow_tasks)
        errors = sum(r["errors"] for r in results.values())
    finally:
        if not options.get("keep"):
            _cleanup(prefix)
    return {
        "db": connection.vendor,
        "workers": workers,
        "transitions": workers * per_worker,
        "transitions_per_s": results["full"]["per_s"],
        "p50_ms": results["full"]["p50_ms"],
        "p95_ms": results["full"]["p95_ms"],
        "baseline_per_s": results["baseline"]["per_s"],
        "baseline_p95_ms": results["baseline"]["p95_ms"],
        "raw_per_s": results["raw"]["per_s"],
        "fsm_bare_per_s": results["fsm_bare"]["per_s"],
        "full_vs_baseline": round(results["baseline"]["per_s"] / results["full"]["per_s"], 2),
        "full_vs_fsm_bare": round(results["fsm_bare"]["per_s"] / results["full"]["per_s"], 2),
        "closed": closed,
        "errors": errors,
    }


def _submitted_tasks(plan: Plan, count: int) -> list[int]:
    stage = plan.stages.get(status=Stage.Status.OPEN)
    measure = Measure.objects.create(stage=stage, order=99, title="基准测试措施")
    member = LeadingGroupMember.objects.filter(plan=plan, role="member").first().user
    tasks = Task.objects.bulk_create(
        [
            Task(
                plan=plan, measure=measure, order=i, title=f"基准任务{i}", assignee=member, status=Task.Status.SUBMITTED
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    return [t.pk for t in tasks]


_actors = threading.local()


def _full(pk: int, office_pk: int) -> None:
    # The reviewer comes from the session in a request, as it would for the bare transition; its
    # grants are read afresh each time, as in a new request.
    actor = getattr(_actors, "user", None)
    if actor is None:
        actor = _actors.user = User.objects.select_related("organisation").get(pk=office_pk)
    forget_permissions(actor)
    task_close(task=pk, actor=actor)


def _flow_tasks(count: int) -> list[int]:
    """Started one-step viewflow processes; returns the ids of their open Handle tasks."""
    processes = [BareTaskFlow.start.run() for _ in range(count)]
    return list(
        FlowTask.objects.filter(process__in=processes, flow_task=BareTaskFlow.work).values_list("pk", flat=True)
    )


def _viewflow_complete(pk: int) -> None:
    BareTaskFlow.work.run(FlowTask.objects.get(pk=pk))


def _drop_flow_tasks(pks: list[int]) -> None:
    process_ids = list(FlowTask.objects.filter(pk__in=pks).values_list("process_id", flat=True))
    with transaction.atomic():
        FlowTask.previous.through.objects.filter(from_task__process_id__in=process_ids).delete()
        FlowTask.objects.filter(process_id__in=process_ids).delete()
        Process.objects.filter(pk__in=process_ids).delete()


def _fsm_bare(pk: int) -> None:
    with transaction.atomic():
        task = Task.objects.get(pk=pk)
        TaskFlow(task).close()
        task.save(update_fields=["status"])


def _raw(pk: int) -> None:
    Task.objects.filter(pk=pk).update(status=Task.Status.CLOSED)


def _measure(workers: int, pks: list[int], step: Callable[[int], None]) -> dict:
    shares = [pks[i::workers] for i in range(workers)]
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(workers + 1)

    def work(share: list[int]) -> None:
        mine = []
        try:
            barrier.wait()
            for pk in share:
                started = time.perf_counter()
                try:
                    step(pk)
                except Exception as exc:  # noqa: BLE001 - counted and reported, e.g. "database is locked"
                    with lock:
                        errors.append(exc)
                mine.append(time.perf_counter() - started)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(share,)) for share in shares]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "per_s": round(len(pks) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "errors": len(errors),
        "first_error": repr(errors[0]) if errors else None,
    }


def _cleanup(prefix: str) -> None:
    with transaction.atomic():
        plans = Plan.objects.filter(school__code__startswith=f"{prefix}-")
        Notification.objects.filter(plan__in=plans).delete()
        plan_ids = list(plans.values_list("pk", flat=True))
        # The audit trail is not tied to plans by a foreign key: the benchmark removes its own rows,
        # past the append-only triggers only through the documented flag (audit/maintenance.py;
        # this breaks the hash chain on purpose: run benchmarks on a scratch database).
        with audit_deletes_allowed("benchmark cleanup of its synthetic county"):
            AuditEntry.objects.filter(plan_id__in=plan_ids).delete()
            AuditEntry.objects.filter(actor__username__startswith=f"{prefix}_").delete()
        for pk in plan_ids:
            Group.objects.filter(name__startswith=f"plan:{pk}:").delete()
        plans.delete()
        User.objects.filter(username__startswith=f"{prefix}_").delete()
        orgs = Organisation.objects.filter(code__startswith=f"{prefix}-")
        Group.objects.filter(name__in=[f"org:{c}" for c in orgs.values_list("code", flat=True)]).delete()
        for kind in (Organisation.Kind.SCHOOL, Organisation.Kind.SUPERVISION, Organisation.Kind.BUREAU):
            orgs.filter(kind=kind).delete()
