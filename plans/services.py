"""Writes for organisations, people, plans and their parts. Each service checks permission,
guards state and writes its audit row in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from plans import access
from plans.audit import audit_record
from plans.errors import DomainError, NotAllowed
from plans.models import (
    Indicator,
    LeadingGroupMember,
    Measure,
    Organisation,
    Plan,
    Stage,
    User,
    WorkingGroup,
)
from plans.permissions import can_manage_plan_tasks, forget_permissions, is_bureau_user

DEFAULT_STAGE_NAMES = ("准备阶段", "实施阶段", "验收阶段")


@dataclass(frozen=True)
class StageSpec:
    name: str
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


def _require(allowed: bool, message: str = "您没有执行此操作的权限。") -> None:
    if not allowed:
        raise NotAllowed(message)


def can_administer(user: Any, org: Organisation | None = None) -> bool:
    """Superusers, and bureau admins for organisations under their bureau (or the bureau itself)."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not (is_bureau_user(user) and user.bureau_role == User.BureauRole.ADMIN):
        return False
    if org is None:
        return True
    bureau = user.organisation if user.organisation.kind == Organisation.Kind.BUREAU else user.organisation.parent
    return org == bureau or bureau in org.ancestors()


@transaction.atomic
def organisation_create(
    *, actor: User | None, code: str, name: str, kind: str, parent: Organisation | None = None, township: str = ""
) -> Organisation:
    """Create an organisation; a school becomes visible to its own staff and to every level above."""
    if actor is not None:
        _require(can_administer(actor, parent))
    if Organisation.objects.filter(code=code).exists():
        raise DomainError(f"单位代码“{code}”已被使用。")
    if kind != Organisation.Kind.BUREAU and parent is None:
        raise DomainError("除教育局外,每个单位都必须有上级单位。")
    org = Organisation.objects.create(code=code, name=name, kind=kind, parent=parent, township=township)
    access.ensure_org_group(org)
    if org.kind == Organisation.Kind.SCHOOL:
        access.grant_school_visibility(org)
    audit_record(actor=actor, action="plans.organisation.created", target=org, data={"code": code})
    return org


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    organisation: Organisation,
    full_name: str = "",
    position: str = "",
    bureau_role: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a person in an organisation, with the grants that membership brings.

    ``password_hash`` (from ``make_password``) lets bulk callers hash a shared password once.
    Only a system job or a superuser may create staff or superusers.
    """
    if actor is not None:
        _require(can_administer(actor, organisation))
        if (is_staff or is_superuser) and not actor.is_superuser:
            raise NotAllowed("只有系统管理员可以创建管理后台账号。")
    if User.objects.filter(username=username).exists():
        raise DomainError(f"用户名“{username}”已被使用。")
    user = User(
        username=username,
        organisation=organisation,
        full_name=full_name,
        position=position,
        bureau_role=bureau_role,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    access.sync_user_organisation(user)
    return user


@transaction.atomic
def plan_create(
    *,
    actor: User | None,
    school: Organisation,
    title: str,
    year: int,
    stages: list[StageSpec] | None = None,
    summary: str = "",
) -> Plan:
    """Create a plan with ordered stages (default 准备/实施/验收); the first stage opens at once."""
    if actor is not None:
        _require(can_administer(actor, school))
    if school.kind != Organisation.Kind.SCHOOL:
        raise DomainError("实施方案只能属于学校。")
    if Plan.objects.filter(school=school, title=title, year=year).exists():
        raise DomainError(f"{school.name} 已有 {year} 年度的“{title}”。")
    specs = stages or [StageSpec(name) for name in DEFAULT_STAGE_NAMES]
    plan = Plan.objects.create(school=school, title=title, year=year, summary=summary, status=Plan.Status.ACTIVE)
    now = timezone.now()
    Stage.objects.bulk_create(
        [
            Stage(
                plan=plan,
                order=i,
                name=spec.name,
                starts_on=spec.starts_on,
                ends_on=spec.ends_on,
                status=Stage.Status.OPEN if i == 1 else Stage.Status.PENDING,
            )
            for i, spec in enumerate(specs, start=1)
        ]
    )
    access.ensure_plan_groups(plan)
    audit_record(actor=actor, action="plans.plan.created", target=plan, plan=plan, new=plan.status)
    first = plan.stages.get(order=1)
    audit_record(
        actor=actor,
        action="plans.stage.opened",
        target=first,
        plan=plan,
        old="pending",
        new="open",
        data={"at": now.isoformat()},
    )
    return plan


def _can_edit_group(actor: User | None, plan: Plan) -> bool:
    return actor is None or can_administer(actor, plan.school) or can_manage_plan_tasks(actor, plan)


@transaction.atomic
def working_group_create(*, actor: User | None, plan: Plan, name: str) -> WorkingGroup:
    _require(_can_edit_group(actor, plan))
    group, _ = WorkingGroup.objects.get_or_create(plan=plan, name=name)
    return group


@transaction.atomic
def seat_set(
    *,
    actor: User | None,
    plan: Plan,
    user: User,
    role: str,
    working_group: WorkingGroup | None = None,
    duty: str = "",
) -> LeadingGroupMember:
    """Give ``user`` a seat (or a new role) on the plan's leading group and sync the grants.

    Only people of the plan's own school may sit on it; a plan has at most one leader.
    """
    _require(_can_edit_group(actor, plan))
    if role not in LeadingGroupMember.Role.values:
        raise DomainError("未知的领导小组角色。")
    if user.organisation_id != plan.school_id:
        raise DomainError(f"{user} 不属于 {plan.school.name},不能加入该校领导小组。")
    if working_group is not None and working_group.plan_id != plan.pk:
        raise DomainError("专业工作组不属于该方案。")
    if role == LeadingGroupMember.Role.LEADER:
        other_leader = plan.leading_group.select_for_update().filter(role=role).exclude(user=user).first()
        if other_leader is not None:
            raise DomainError(f"该方案已有组长({other_leader.user}),请先调整其角色。")
    seat = plan.leading_group.select_for_update().filter(user=user).first()
    old_role = seat.role if seat else ""
    if seat is None:
        seat = LeadingGroupMember.objects.create(
            plan=plan, user=user, role=role, working_group=working_group, duty=duty
        )
        action = "plans.seat.added"
    else:
        seat.role, seat.working_group, seat.duty = role, working_group, duty
        seat.save(update_fields=["role", "working_group", "duty"])
        action = "plans.seat.changed"
    access.sync_seat(user, plan, role)
    forget_permissions(user)
    audit_record(
        actor=actor, action=action, target=seat, plan=plan, old=old_role, new=role, data={"user": user.username}
    )
    return seat


@transaction.atomic
def seat_remove(*, actor: User | None, plan: Plan, user: User) -> None:
    """Take ``user`` off the plan's leading group and withdraw the grants the seat gave.

    Their tasks stay assigned to them (reassign them first); history keeps their name.
    """
    _require(_can_edit_group(actor, plan))
    seat = plan.leading_group.select_for_update().filter(user=user).first()
    if seat is None:
        raise DomainError(f"{user} 不在该方案的领导小组中。")
    old_role = seat.role
    audit_record(
        actor=actor, action="plans.seat.removed", target=seat, plan=plan, old=old_role, data={"user": user.username}
    )
    seat.delete()
    access.sync_seat(user, plan, None)
    forget_permissions(user)


@transaction.atomic
def measure_create(
    *,
    actor: User | None,
    stage: Stage,
    title: str,
    description: str = "",
    owner: User | None = None,
    working_group: WorkingGroup | None = None,
    responsible_units: str = "",
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    weight: Decimal = Decimal("1"),
) -> Measure:
    """Add a measure to a stage. Leader, deputy or office of the plan (or a system job)."""
    plan = stage.plan
    _require(actor is None or can_manage_plan_tasks(actor, plan))
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    order = (stage.measures.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    measure = Measure.objects.create(
        stage=stage,
        order=order,
        title=title,
        description=description,
        owner=owner,
        working_group=working_group,
        responsible_units=responsible_units,
        starts_on=starts_on,
        ends_on=ends_on,
        weight=weight,
    )
    audit_record(actor=actor, action="plans.measure.created", target=measure, plan=plan, data={"title": title})
    return measure


@transaction.atomic
def indicator_create(
    *,
    actor: User | None,
    plan: Plan,
    name: str,
    unit: str,
    direction: str,
    target: Decimal,
    measure: Measure | None = None,
) -> Indicator:
    """Add a quantitative indicator to a plan."""
    _require(actor is None or can_manage_plan_tasks(actor, plan))
    if direction not in Indicator.Direction.values:
        raise DomainError("指标方向只能是 ≥ 或 ≤。")
    order = (plan.indicators.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    indicator = Indicator.objects.create(
        plan=plan, measure=measure, order=order, name=name, unit=unit, direction=direction, target=target
    )
    audit_record(actor=actor, action="plans.indicator.created", target=indicator, plan=plan, data={"name": name})
    return indicator
