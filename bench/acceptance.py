"""Acceptance at scale: the bureau's overview and the team's scoring form (p50/p95, queries).

    python manage.py bench acceptance --schools 500 --criteria 60 --json

Builds a synthetic county with bench.scale.build_scale under a fresh prefix, then gives every
school's plan an acceptance form of ``--criteria`` criteria and an acceptance state, in turn:
未申请, 已申请, 验收中, 整改中 (a failed round with open, overdue, submitted and closed
rectification items), 公示中 (after a failed round) and 已验收. Rows are bulk-inserted (no
services, no audit), as seed_scale does.

``overview`` is 评估验收总览 rendered for the county's admin (every school). ``form`` is the
inspection team's scoring page (评分表: every criterion with the school's self-rating, each
inspector's rating side by side, the leader's own rating form and the final tiers) of one plan
with ``--form-criteria`` criteria and a team of three who rated them all, rendered for the team
leader: the largest form the product renders. ``self_form`` is the same plan's 自评 page for its
principal, for reference.
"""

from __future__ import annotations

import datetime
import gc
import math
import statistics
import time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acceptance.models import (
    AcceptanceCriterion,
    Application,
    FinalRating,
    InspectorRating,
    RectificationItem,
    SelfRating,
)
from bench.dashboard import _client, _static_files_ready
from bench.scale import BATCH, ROLES, build_scale
from orgs.grants import org_group_name
from orgs.models import Organisation, User
from plans.models import Plan

A = Application.Status
RS = RectificationItem.Status
# One state per school, in turn; "none" is 未申请.
STATES = ["none", A.APPLIED, A.INSPECTING, A.FAILED, A.NOTICE, A.ACCEPTED]
PLAN_STATUS = {
    "none": Plan.Status.ACTIVE,
    A.APPLIED: Plan.Status.ACCEPTANCE,
    A.INSPECTING: Plan.Status.ACCEPTANCE,
    A.FAILED: Plan.Status.RECTIFYING,
    A.NOTICE: Plan.Status.ACCEPTANCE,
    A.ACCEPTED: Plan.Status.COMPLETED,
}
CATEGORIES = ["办学条件", "师资队伍", "教育质量", "学校管理", "社会认可度"]


def add_arguments(parser) -> None:
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--criteria", type=int, default=60, help="Criteria of every school's form.")
    parser.add_argument("--form-criteria", type=int, default=100, help="Criteria of the measured scoring form.")
    parser.add_argument("--tasks-per-school", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=30, help="Timed renders per page (after two warm-ups).")
    parser.add_argument("--prefix", default="", help="Code prefix of the synthetic county (default: a fresh one).")


def _criteria(plan_id: int, count: int, start: int = 0) -> list[AcceptanceCriterion]:
    return [
        AcceptanceCriterion(
            plan_id=plan_id,
            order=n + 1,
            category=CATEGORIES[n % len(CATEGORIES)],
            point=f"评估要点{n + 1}：生均校舍面积、图书、设备达到省定标准，账册齐全",
            max_score=Decimal(1 + n % 3),
            evidence_expected="统计表、台账、照片",
        )
        for n in range(start, start + count)
    ]


def _final_tier(n: int, state: str, round_: int) -> int:
    """Tiers a failed round settles on (three criteria at 4档); a passing round scores well."""
    if state == A.FAILED or (state == A.NOTICE and round_ == 1):
        return 4 if n < 3 else 2
    return 1 if n % 4 else 2


@transaction.atomic
def build_acceptance(*, prefix: str, criteria: int, form_criteria: int) -> dict[str, Any]:
    """Acceptance rows for every plan of the synthetic county ``prefix`` (see the module doc)."""
    today = timezone.localdate()
    now = timezone.now()
    plans = list(
        Plan.objects.filter(school__code__startswith=f"{prefix}-").select_related("school").order_by("school__code")
    )
    inspector = User.objects.get(username=f"{prefix}_inspector")
    office = Organisation.objects.get(code=f"{prefix}-dds")
    team = [inspector, *User.objects.bulk_create(
        [User(username=f"{prefix}_inspector{n}", full_name=f"督导员{n}", organisation=office,
              password=inspector.password, bureau_role=User.BureauRole.INSPECTOR) for n in (2, 3)]
    )]
    office_group = Group.objects.get(name=org_group_name(office))
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=office_group.pk) for u in team[1:]]
    )
    staff = {u.username: u for u in User.objects.filter(username__startswith=f"{prefix}_s")}
    state_of = {plan.pk: STATES[i % len(STATES)] for i, plan in enumerate(plans)}
    # The measured form: a plan under inspection (the third school, or the only one).
    form_plan = next((p for p in plans if state_of[p.pk] == A.INSPECTING), plans[0])
    state_of[form_plan.pk] = A.INSPECTING
    for status in set(PLAN_STATUS.values()):
        Plan.objects.filter(pk__in=[p.pk for p in plans if PLAN_STATUS[state_of[p.pk]] == status]).update(status=status)

    rows = []
    for plan in plans:
        rows += _criteria(plan.pk, criteria)
        if plan.pk == form_plan.pk and form_criteria > criteria:
            rows += _criteria(plan.pk, form_criteria - criteria, start=criteria)
    AcceptanceCriterion.objects.bulk_create(rows, batch_size=BATCH)
    by_plan: dict[int, list[AcceptanceCriterion]] = {}
    for c in AcceptanceCriterion.objects.filter(plan__in=plans).order_by("order", "pk").only("pk", "plan_id"):
        by_plan.setdefault(c.plan_id, []).append(c)

    def leader_of(plan: Plan) -> User:
        return _seat(staff, prefix, plan, "leader")

    applications: list[Application] = []
    for plan in plans:
        state = state_of[plan.pk]
        if state == "none":
            continue
        rounds = [(1, A.FAILED), (2, A.NOTICE)] if state == A.NOTICE else [(1, state)]
        for round_, status in rounds:
            recorded = status in (A.FAILED, A.NOTICE, A.ACCEPTED)
            applications.append(
                Application(
                    plan=plan, round=round_, status=status, self_score=Decimal("92.50"), applied_by=leader_of(plan),
                    team_leader=inspector if status != A.APPLIED else None,
                    inspection_date=today + datetime.timedelta(days=3) if status != A.APPLIED else None,
                    final_score=(Decimal("78.00") if status == A.FAILED else Decimal("93.40")) if recorded else None,
                    recorded_at=now if recorded else None,
                    notice_ends_on=today + datetime.timedelta(days=7) if status == A.NOTICE else None,
                    accepted_at=now if status == A.ACCEPTED else None,
                    certificate_ref=f"{prefix}-{plan.pk}" if status == A.ACCEPTED else "",
                )
            )
    Application.objects.bulk_create(applications, batch_size=BATCH)
    form_app = next(a for a in applications if a.plan_id == form_plan.pk)
    form_app.inspectors.set(team[1:])

    selfs, finals, marks, items = [], [], [], []
    for app in applications:
        lines = by_plan[app.plan_id]
        if app.round == 1:
            selfs += [SelfRating(criterion_id=c.pk, tier=1 if n % 3 else 2, rated_by=leader_of(app.plan),
                                 note="已达标，见佐证材料") for n, c in enumerate(lines)]
        if app.status == A.INSPECTING:
            raters = team if app.pk == form_app.pk else [inspector]
            marks += [InspectorRating(application_id=app.pk, criterion_id=c.pk, inspector_id=u.pk,
                                      tier=1 + (n + k) % 3, remark="现场查看，基本符合")
                      for n, c in enumerate(lines) for k, u in enumerate(raters)]
            if app.pk == form_app.pk:
                finals += [FinalRating(application_id=app.pk, criterion_id=c.pk, tier=1 + n % 3)
                           for n, c in enumerate(lines[: len(lines) // 2])]
        if app.status in (A.FAILED, A.NOTICE, A.ACCEPTED):
            state = state_of[app.plan_id]
            finals += [FinalRating(application_id=app.pk, criterion_id=c.pk, tier=_final_tier(n, state, app.round),
                                   rectify=_final_tier(n, state, app.round) == 4) for n, c in enumerate(lines)]
        if app.status == A.FAILED:
            items += _items(app, lines[:4], state_of[app.plan_id], _seat(staff, prefix, app.plan, "office"), today)
    SelfRating.objects.bulk_create(selfs, batch_size=BATCH)
    InspectorRating.objects.bulk_create(marks, batch_size=BATCH)
    FinalRating.objects.bulk_create(finals, batch_size=BATCH)
    RectificationItem.objects.bulk_create(items, batch_size=BATCH)
    return {"form_plan": form_plan, "form_application": form_app, "leader": leader_of(form_plan)}


def _seat(staff: dict[str, User], prefix: str, plan: Plan, role: str) -> User:
    """The synthetic school's user in ``role`` (bench.scale names them <prefix>_s0001_<n>)."""
    return staff[f"{prefix}_{plan.school.code.removeprefix(prefix + '-')}_{ROLES.index(role)}"]


def _items(app: Application, lines: list[AcceptanceCriterion], state: str, owner: User,
           today: datetime.date) -> list[RectificationItem]:
    """Rectification items of a failed round: for a school still rectifying one to assign, one
    overdue, one due later and one submitted; for a school re-applied since, all closed."""
    plan_closed = state == A.NOTICE
    shapes = [(RS.OPEN, None), (RS.ASSIGNED, -5), (RS.ASSIGNED, 20), (RS.SUBMITTED, 10)]
    return [
        RectificationItem(
            plan_id=app.plan_id, application_id=app.pk, criterion_id=c.pk, remark="未达到标准，限期整改",
            status=RS.CLOSED if plan_closed else status,
            owner=None if status == RS.OPEN else owner,
            due_on=None if days is None else today + datetime.timedelta(days=days),
            closed_at=timezone.now() if plan_closed else None,
        )
        for c, (status, days) in zip(lines, shapes, strict=False)
    ]


def _load() -> float:
    """The machine's 1-minute load average when the pages are measured (the runs share 2 cores)."""
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return -1.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)


def _measure(client: Client, url: str, repeat: int) -> dict[str, Any]:
    """As bench.dashboard._measure (two warm-ups, the queries of one render counted right after
    it, then ``repeat`` timed renders), plus this process's CPU time per render: on a shared
    machine the wall time includes waiting for a core, the CPU time does not (nor the database
    server's work, which the wall time does include)."""
    secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
    for _ in range(2):
        response = client.get(url, secure=secure)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, secure=secure)
    queries = len(ctx.captured_queries)
    gc.collect()
    gc.freeze()
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url, secure=secure)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {
        "url": url,
        "queries": queries,
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": _percentile(wall, 0.95),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": _percentile(cpu, 0.95),
        "bytes": len(response.content),
    }


def run(options: dict[str, Any]) -> dict[str, Any]:
    with _static_files_ready():
        return _run(options)


def _run(options: dict[str, Any]) -> dict[str, Any]:
    schools, repeat = options["schools"], max(1, options["repeat"])
    criteria, form_criteria = options["criteria"], max(options["form_criteria"], options["criteria"])
    prefix = options.get("prefix") or f"ba{timezone.now():%y%m%d%H%M%S}"
    built = build_scale(schools=schools, tasks_per_school=options["tasks_per_school"], prefix=prefix)
    started = timezone.now()
    made = build_acceptance(prefix=prefix, criteria=criteria, form_criteria=form_criteria)
    if not connection.in_atomic_block:  # as bench.dashboard: measure with planner statistics
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    admin = User.objects.get(username=f"{prefix}_admin")
    inspector = User.objects.get(username=f"{prefix}_inspector")
    form_plan, form_app = made["form_plan"], made["form_application"]
    result: dict[str, Any] = {
        "db": connection.vendor,
        "schools": schools,
        "criteria": criteria,
        "prefix": prefix,
        "build_s": round(built.seconds + (timezone.now() - started).total_seconds(), 1),
        "repeat": repeat,
        "load_1min": round(_load(), 2),
        "overview": _measure(_client(admin), reverse("acceptance:overview"), repeat),
        "form": {
            "page": "acceptance:inspection (评分表, team leader)",
            "criteria": AcceptanceCriterion.objects.filter(plan=form_plan).count(),
            "inspectors": 3,
            **_measure(_client(inspector), reverse("acceptance:inspection", args=[form_app.pk]), repeat),
        },
        "self_form": _measure(_client(made["leader"]), reverse("acceptance:plan_acceptance", args=[form_plan.pk]),
                              repeat),
    }
    return result
