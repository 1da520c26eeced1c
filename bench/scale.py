"""A synthetic county for benchmarks, written with bulk inserts (no per-row services, no audit).

Grants are made exactly as the services make them (school and plan level, through groups), so
permission checks and selectors behave as they do on real data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from excel.example_plan import INDICATORS
from orgs.grants import org_group_name
from orgs.models import Organisation, OrganisationGroupObjectPermission, User
from plans.grants import ROLE_PERMISSIONS, plan_group_name
from plans.models import (
    Indicator,
    IndicatorReading,
    LeadingGroupMember,
    Measure,
    Plan,
    PlanGroupObjectPermission,
    Stage,
)
from tasks.models import Task

SCALE_PASSWORD = "Scale@2026"
ROLES = ["leader", "deputy", "office", "member", "member", "member"]
TOWNSHIPS = ["城关镇", "青石镇", "柳湾镇", "南娄乡", "东坪镇", "西河乡", "北山镇", "石门乡"]
BATCH = 2000


@dataclass
class ScaleResult:
    bureau: Organisation
    schools: int
    tasks: int
    seconds: float


def _perm(model, codename) -> Permission:
    return Permission.objects.get(content_type=ContentType.objects.get_for_model(model), codename=codename)


@transaction.atomic
def build_scale(*, schools: int, tasks_per_school: int, prefix: str = "scale", seed: int = 7) -> ScaleResult:
    """Create a bureau with ``schools`` schools, each with one plan of ``tasks_per_school`` tasks."""
    started = timezone.now()
    rng = random.Random(seed)
    if Organisation.objects.filter(code=f"{prefix}-jyj").exists():
        raise DomainError(f"代码前缀“{prefix}”已被使用，请换一个 --prefix。")
    today = timezone.localdate()
    bureau = Organisation.objects.create(code=f"{prefix}-jyj", name=f"{prefix} 县教育局", kind=Organisation.Kind.BUREAU)
    office = Organisation.objects.create(
        code=f"{prefix}-dds", name=f"{prefix} 县督导室", kind=Organisation.Kind.SUPERVISION, parent=bureau
    )
    orgs = Organisation.objects.bulk_create(
        [
            Organisation(
                code=f"{prefix}-s{i:04d}", name=f"第{i}学校", kind=Organisation.Kind.SCHOOL, parent=bureau,
                township=TOWNSHIPS[i % len(TOWNSHIPS)],
            )
            for i in range(1, schools + 1)
        ],
        batch_size=BATCH,
    )
    org_groups = Group.objects.bulk_create([Group(name=org_group_name(o)) for o in [bureau, office, *orgs]])
    bureau_group, office_group, school_groups = org_groups[0], org_groups[1], org_groups[2:]
    view_perm = _perm(Organisation, "view_organisation_plans")
    OrganisationGroupObjectPermission.objects.bulk_create(
        [
            OrganisationGroupObjectPermission(group=g, permission=view_perm, content_object=school)
            for school, own in zip(orgs, school_groups, strict=False)
            for g in (own, bureau_group, office_group)
        ],
        batch_size=BATCH,
    )
    password = make_password(SCALE_PASSWORD)
    overseers = User.objects.bulk_create(
        [
            User(username=f"{prefix}_admin", full_name="局管理员", organisation=bureau, password=password,
                 bureau_role=User.BureauRole.ADMIN),
            User(username=f"{prefix}_inspector", full_name="督导员", organisation=office, password=password,
                 bureau_role=User.BureauRole.INSPECTOR),
        ]
    )
    staff = User.objects.bulk_create(
        [
            User(username=f"{prefix}_s{i:04d}_{n}", full_name=f"教师{i}-{n}", organisation=o, password=password)
            for i, o in enumerate(orgs, start=1)
            for n in range(len(ROLES))
        ],
        batch_size=BATCH,
    )
    Membership = User.groups.through
    memberships = [Membership(user_id=overseers[0].pk, group_id=bureau_group.pk),
                   Membership(user_id=overseers[1].pk, group_id=office_group.pk)]
    for idx, user in enumerate(staff):
        memberships.append(Membership(user_id=user.pk, group_id=school_groups[idx // len(ROLES)].pk))

    plans = Plan.objects.bulk_create(
        [Plan(school=o, title="义务教育优质均衡发展实施方案", year=today.year, status=Plan.Status.ACTIVE) for o in orgs],
        batch_size=BATCH,
    )
    role_groups = Group.objects.bulk_create(
        [Group(name=plan_group_name(p.pk, role)) for p in plans for role in ROLE_PERMISSIONS],
        batch_size=BATCH,
    )
    perms = {c: _perm(Plan, c) for c in {c for cs in ROLE_PERMISSIONS.values() for c in cs}}
    grants, seats = [], []
    roles_order = list(ROLE_PERMISSIONS)
    for p_idx, plan in enumerate(plans):
        groups = dict(zip(roles_order, role_groups[p_idx * 4:(p_idx + 1) * 4], strict=False))
        for role, codenames in ROLE_PERMISSIONS.items():
            grants += [PlanGroupObjectPermission(group=groups[role], permission=perms[c], content_object=plan) for c in codenames]
        for n, role in enumerate(ROLES):
            user = staff[p_idx * len(ROLES) + n]
            seats.append(LeadingGroupMember(plan=plan, user=user, role=role))
            memberships.append(Membership(user_id=user.pk, group_id=groups[role].pk))
    PlanGroupObjectPermission.objects.bulk_create(grants, batch_size=BATCH)
    LeadingGroupMember.objects.bulk_create(seats, batch_size=BATCH)
    Membership.objects.bulk_create(memberships, batch_size=BATCH)

    windows = [(-90, -50), (-49, 120), (121, 180)]
    stages = Stage.objects.bulk_create(
        [
            Stage(plan=p, order=i + 1, name=name, starts_on=today + datetime.timedelta(days=a),
                  ends_on=today + datetime.timedelta(days=b),
                  status=(Stage.Status.COMPLETED if i == 0 else Stage.Status.OPEN if i == 1 else Stage.Status.PENDING))
            for p in plans
            for i, (name, (a, b)) in enumerate(zip(("准备阶段", "实施阶段", "验收阶段"), windows, strict=False))
        ],
        batch_size=BATCH,
    )
    measures_per_stage = max(1, tasks_per_school // 30)
    measures = Measure.objects.bulk_create(
        [
            Measure(stage=s, order=m + 1, title=f"{s.name}措施{m + 1}", starts_on=s.starts_on, ends_on=s.ends_on,
                    weight=Decimal(rng.choice([1, 1, 2])))
            for s in stages
            for m in range(measures_per_stage)
        ],
        batch_size=BATCH,
    )
    by_plan: dict[int, list[Measure]] = {}
    stage_by_id = {s.pk: s for s in stages}
    for m in measures:
        by_plan.setdefault(stage_by_id[m.stage_id].plan_id, []).append(m)
    tasks = []
    for p_idx, plan in enumerate(plans):
        plan_measures = by_plan[plan.pk]
        members = staff[p_idx * len(ROLES):(p_idx + 1) * len(ROLES)]
        for t in range(tasks_per_school):
            measure = plan_measures[t % len(plan_measures)]
            stage = stage_by_id[measure.stage_id]
            if stage.status == Stage.Status.COMPLETED:
                status = Task.Status.CLOSED
            elif stage.status == Stage.Status.PENDING:
                status = Task.Status.ASSIGNED
            else:
                status = rng.choice(list(Task.Status.values))
            due = stage.starts_on + datetime.timedelta(days=rng.randint(0, (stage.ends_on - stage.starts_on).days))
            assignee = None if status == Task.Status.UNASSIGNED else rng.choice(members)
            tasks.append(Task(plan=plan, measure=measure, order=t, title=f"任务{t + 1}", assignee=assignee,
                              starts_on=stage.starts_on, due_on=due, status=status))
            if len(tasks) >= BATCH:
                Task.objects.bulk_create(tasks)
                tasks = []
    Task.objects.bulk_create(tasks)

    indicators = Indicator.objects.bulk_create(
        [
            Indicator(plan=p, order=i, name=name, unit=unit, direction=direction, target=target)
            for p in plans
            for i, (name, unit, direction, target) in enumerate(INDICATORS[:5])
        ],
        batch_size=BATCH,
    )
    IndicatorReading.objects.bulk_create(
        [
            IndicatorReading(indicator=ind, value=(ind.target * Decimal(str(rng.uniform(0.8, 1.2)))).quantize(Decimal("0.01")),
                             measured_on=today - datetime.timedelta(days=rng.randint(1, 60)))
            for ind in indicators
        ],
        batch_size=BATCH,
    )
    return ScaleResult(bureau=bureau, schools=schools, tasks=schools * tasks_per_school,
                       seconds=(timezone.now() - started).total_seconds())
