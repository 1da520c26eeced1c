"""Writes for plans and their parts: plans, leading groups, measures, indicators and their
readings. Each service checks permission, guards state and writes its audit row in one
transaction; grants follow seats (plans.grants)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from accounts.sockets import sockets_recheck
from audit.services import audit_record
from core.errors import DomainError, require
from core.text import bounded
from orgs.models import Organisation, User
from orgs.permissions import forget_permissions
from plans import grants
from plans.models import Indicator, LeadingGroupMember, Measure, Plan, PlanTemplate, Stage, WorkingGroup
from plans.permissions import (
    can_create_plan,
    can_edit_leading_group,
    can_edit_plan,
    can_edit_template,
    can_manage_plan_tasks,
)
from plans.rules import measure_cancel_refusal
from plans.selectors import seat_rank

DEFAULT_STAGE_NAMES = ("准备阶段", "实施阶段", "验收阶段")


@dataclass(frozen=True)
class StageSpec:
    name: str
    starts_on: datetime.date | None = None
    ends_on: datetime.date | None = None


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
        require(can_create_plan(actor, school))
    if school.kind != Organisation.Kind.SCHOOL:
        raise DomainError("实施方案只能属于学校。")
    title = bounded(title, Plan, "title")
    if Plan.objects.filter(school=school, title=title, year=year).exists():
        raise DomainError(f"{school.name} 已有 {year} 年度的“{title}”。")
    specs = stages or [StageSpec(name) for name in DEFAULT_STAGE_NAMES]
    for spec in specs:
        bounded(spec.name, Stage, "name")
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
    grants.ensure_plan_groups(plan)
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


def _require_group_editor(actor: User | None, plan: Plan) -> None:
    require(actor is None or can_edit_leading_group(actor, plan))


@transaction.atomic
def working_group_create(*, actor: User | None, plan: Plan, name: str) -> WorkingGroup:
    """Add a working group (专业工作组) to the plan's leading group; an existing name is returned as is."""
    _require_group_editor(actor, plan)
    name = bounded(name, WorkingGroup, "name", "专业工作组名称")
    if not name:
        raise DomainError("请填写专业工作组名称。")
    group, created = WorkingGroup.objects.get_or_create(plan=plan, name=name)
    if created:
        audit_record(actor=actor, action="plans.working_group.created", target=group, plan=plan, data={"name": name})
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
    _require_group_editor(actor, plan)
    if role not in LeadingGroupMember.Role.values:
        raise DomainError("未知的领导小组角色。")
    if user.organisation_id != plan.school_id:
        raise DomainError(f"{user} 不属于 {plan.school.name}，不能加入该校领导小组。")
    if working_group is not None and working_group.plan_id != plan.pk:
        raise DomainError("专业工作组不属于该方案。")
    if role == LeadingGroupMember.Role.LEADER:
        other_leader = plan.leading_group.select_for_update().filter(role=role).exclude(user=user).first()
        if other_leader is not None:
            raise DomainError(f"该方案已有组长（{other_leader.user}），请先调整其角色。")
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
    grants.sync_seat(user, plan, role)
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
    _require_group_editor(actor, plan)
    seat = plan.leading_group.select_for_update().filter(user=user).first()
    if seat is None:
        raise DomainError(f"{user} 不在该方案的领导小组中。")
    old_role = seat.role
    audit_record(
        actor=actor, action="plans.seat.removed", target=seat, plan=plan, old=old_role, data={"user": user.username}
    )
    seat.delete()
    grants.sync_seat(user, plan, None)
    forget_permissions(user)
    # Their open pages stop hearing about the plan (accounts.sockets: the socket rechecks its plans).
    user_id = user.pk
    transaction.on_commit(lambda: sockets_recheck(user_id))


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
    require(actor is None or can_manage_plan_tasks(actor, plan))
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    title = bounded(title, Measure, "title", "措施名称")
    responsible_units = bounded(responsible_units, Measure, "responsible_units")
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
    require(actor is None or can_manage_plan_tasks(actor, plan))
    if direction not in Indicator.Direction.values:
        raise DomainError("指标方向只能是 ≥ 或 ≤。")
    name = bounded(name, Indicator, "name", "指标名称")
    unit = bounded(unit, Indicator, "unit", "指标单位")
    order = (plan.indicators.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    indicator = Indicator.objects.create(
        plan=plan, measure=measure, order=order, name=name, unit=unit, direction=direction, target=target
    )
    audit_record(actor=actor, action="plans.indicator.created", target=indicator, plan=plan, data={"name": name})
    return indicator


@transaction.atomic
def leading_group_copy(*, actor: User | None, plan: Plan, source: Plan) -> int:
    """Copy the leading group of another plan of the same school: its working groups (by name) and
    every seat of a person still active at the school, each through ``seat_set`` (so the one-组长
    rule, grants and audit rows are the single path's). Seats the plan already has and the source
    lacks stay. Returns the number of seats copied; all or nothing."""
    plan = Plan.objects.select_for_update().select_related("school").get(pk=plan.pk)
    _require_group_editor(actor, plan)
    if source.pk == plan.pk or source.school_id != plan.school_id:
        raise DomainError("只能从本校的其他方案复制领导小组。")
    source_seats = list(source.leading_group.select_related("user", "working_group").order_by(seat_rank(), "id"))
    if not source_seats:
        raise DomainError(f"“{source.title}”还没有领导小组。")
    source_leader = next((s.user for s in source_seats if s.role == LeadingGroupMember.Role.LEADER), None)
    own_leader = plan.leading_group.filter(role=LeadingGroupMember.Role.LEADER).select_related("user").first()
    if source_leader is not None and own_leader is not None and own_leader.user_id != source_leader.pk:
        raise DomainError(
            f"本方案的组长是 {own_leader.user}，来源方案的组长是 {source_leader}；请先调整本方案的组长再复制。"
        )
    groups = {g.name: working_group_create(actor=actor, plan=plan, name=g.name) for g in source.working_groups.all()}
    existing = {s.user_id: (s.role, s.working_group_id, s.duty) for s in plan.leading_group.all()}
    copied = 0
    for seat in source_seats:
        if not seat.user.is_active or seat.user.organisation_id != plan.school_id:
            continue
        if own_leader is not None and seat.user_id == own_leader.user_id and seat.role != own_leader.role:
            continue  # the source has no leader: copying must not leave this plan without its own
        group = groups.get(seat.working_group.name) if seat.working_group else None
        copied += 1
        if existing.get(seat.user_id) == (seat.role, getattr(group, "pk", None), seat.duty):
            continue  # already so: no audit row for a seat that does not change
        seat_set(actor=actor, plan=plan, user=seat.user, role=seat.role, working_group=group, duty=seat.duty)
    audit_record(
        actor=actor,
        action="plans.leading_group.copied",
        target=plan,
        plan=plan,
        data={"source": source.pk, "source_title": source.title, "seats": copied},
    )
    return copied


# --- plans that can change: edits with old and new values in the audit row ------------------------


def _require_plan_editor(actor: User | None, plan: Plan) -> None:
    require(actor is None or can_edit_plan(actor, plan))
    if plan.status == Plan.Status.COMPLETED:
        raise DomainError("方案已验收，不能再修改。")


def _apply(obj: object, values: dict[str, object]) -> dict[str, list[str]]:
    """Set ``values``; the changed ones as {field: [old, new]} (as text, for the audit row)."""
    changes: dict[str, list[str]] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            changes[name] = ["" if old is None else str(old), "" if new is None else str(new)]
            setattr(obj, name, new)
    return changes


@transaction.atomic
def plan_update(*, actor: User | None, plan: Plan, title: str, summary: str = "") -> Plan:
    """Edit the plan's title and summary (工作目标)."""
    plan = Plan.objects.select_for_update().select_related("school").get(pk=plan.pk)
    _require_plan_editor(actor, plan)
    title = (title or "").strip()
    if not title:
        raise DomainError("方案名称不能为空。")
    if Plan.objects.filter(school=plan.school, title=title, year=plan.year).exclude(pk=plan.pk).exists():
        raise DomainError(f"{plan.school.name} 已有 {plan.year} 年度的“{title}”。")
    title = bounded(title, Plan, "title")
    changes = _apply(plan, {"title": title, "summary": summary or ""})
    if changes:
        plan.save()
        audit_record(actor=actor, action="plans.plan.updated", target=plan, plan=plan, data={"changes": changes})
    return plan


@transaction.atomic
def stage_window_set(
    *, actor: User | None, stage: Stage, starts_on: datetime.date | None, ends_on: datetime.date | None
) -> Stage:
    """Change a stage's date window (not of a signed-off stage)."""
    stage = Stage.objects.select_for_update().select_related("plan").get(pk=stage.pk)
    _require_plan_editor(actor, stage.plan)
    if stage.status == Stage.Status.COMPLETED:
        raise DomainError(f"“{stage.name}”已签署完成，不能再修改。")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期。")
    changes = _apply(stage, {"starts_on": starts_on, "ends_on": ends_on})
    if changes:
        stage.save(update_fields=["starts_on", "ends_on"])
        audit_record(
            actor=actor, action="plans.stage.window_changed", target=stage, plan=stage.plan, data={"changes": changes}
        )
    return stage


@transaction.atomic
def measure_update(
    *,
    actor: User | None,
    measure: Measure,
    title: str,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    owner: User | None = None,
    responsible_units: str = "",
    weight: Decimal = Decimal("1"),
) -> Measure:
    """Edit a measure: title, window, owner (a person of the plan's school), units, weight."""
    measure = Measure.objects.select_for_update().select_related("stage__plan").get(pk=measure.pk)
    plan = measure.stage.plan
    require(actor is None or can_manage_plan_tasks(actor, plan))
    if plan.status == Plan.Status.COMPLETED or measure.stage.status == Stage.Status.COMPLETED:
        raise DomainError("该措施所在阶段已签署完成，不能再修改。")
    if measure.cancelled:
        raise DomainError(f"措施“{measure.title}”已取消，不能再修改。")
    if not (title or "").strip():
        raise DomainError("措施名称不能为空。")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("截止日期不能早于开始日期。")
    if weight < 0:
        raise DomainError("权重不能为负数。")
    if owner is not None and owner.organisation_id != plan.school_id:
        raise DomainError(f"{owner} 不属于 {plan.school.name}。")
    changes = _apply(
        measure,
        {
            "title": bounded(title, Measure, "title", "措施名称"),
            "starts_on": starts_on,
            "ends_on": ends_on,
            "owner": owner,
            "responsible_units": bounded(responsible_units, Measure, "responsible_units"),
            "weight": weight,
        },
    )
    if changes:
        measure.save()
        audit_record(actor=actor, action="plans.measure.updated", target=measure, plan=plan, data={"changes": changes})
    return measure


def measure_mark_cancelled(*, actor: User, measure: Measure | int, reason: str) -> Measure:
    """Mark a measure cancelled, inside the caller's transaction (tasks.services.measure_cancel,
    which cancels its open tasks and writes the audit rows). Locks the measure's stage first, as
    task creation does, so no task can be added to it while it is being cancelled; then the
    measure, and asks plans.rules.measure_cancel_refusal on the locked rows."""
    pk = measure.pk if isinstance(measure, Measure) else measure
    stage_id = Measure.objects.values_list("stage_id", flat=True).get(pk=pk)
    stage = Stage.objects.select_for_update(of=("self",)).select_related("plan__school").get(pk=stage_id)
    locked = Measure.objects.select_for_update(of=("self",)).select_related("owner").get(pk=pk)
    locked.stage = stage
    refusal = measure_cancel_refusal(actor, locked)
    if refusal is not None:
        raise refusal
    locked.cancelled, locked.cancel_reason, locked.cancelled_at = True, reason, timezone.now()
    locked.save(update_fields=["cancelled", "cancel_reason", "cancelled_at"])
    return locked


def _shifted(day: datetime.date | None, days: int) -> datetime.date | None:
    return day + datetime.timedelta(days=days) if day else None


MAX_SHIFT_DAYS = 3660


def check_shift_days(days: int) -> None:
    """The bounds of every date shift (plan or template)."""
    if not days:
        raise DomainError("请填写要调整的天数（不能为 0）；按新的开始日期调整时，新日期不能与原开始日期相同。")
    if abs(days) > MAX_SHIFT_DAYS:
        raise DomainError("一次最多调整 10 年。")


def days_to_start(earliest: datetime.date | None, new_start: datetime.date) -> int:
    """How many days move ``earliest`` (the first date that a shift moves) to ``new_start``."""
    if earliest is None:
        raise DomainError("没有可调整的日期，无法按新的开始日期调整。")
    return (new_start - earliest).days


def structure_date_shifts(plan: Plan, days: int) -> list[tuple[str, str, datetime.date | None, datetime.date | None]]:
    """What shifting the plan by ``days`` does to its stages and measures: (kind, name, old start,
    new start) per dated row, signed-off stages excluded. Read only: the preview and the write
    use this same list."""
    rows: list[tuple[str, str, datetime.date | None, datetime.date | None]] = []
    live_measures = Measure.objects.filter(cancelled=False)
    stages = plan.stages.exclude(status=Stage.Status.COMPLETED).prefetch_related(
        models.Prefetch("measures", queryset=live_measures)
    )
    for stage in stages:
        if stage.starts_on or stage.ends_on:
            rows.append(
                ("阶段", stage.name, stage.starts_on or stage.ends_on, _shifted(stage.starts_on or stage.ends_on, days))
            )
        for measure in stage.measures.all():
            if measure.starts_on or measure.ends_on:
                first = measure.starts_on or measure.ends_on
                rows.append(("措施", measure.title, first, _shifted(first, days)))
    return rows


def structure_dates_shift(*, actor: User | None, plan: Plan, days: int) -> tuple[int, int]:
    """Shift every date of the plan's open and pending stages and their measures by ``days``,
    inside the caller's transaction (tasks.services.plan_dates_shift, which shifts the tasks and
    writes the one audit row). Returns (stages, measures) changed."""
    _require_plan_editor(actor, plan)
    stages = list(plan.stages.select_for_update().exclude(status=Stage.Status.COMPLETED))
    for stage in stages:
        stage.starts_on, stage.ends_on = _shifted(stage.starts_on, days), _shifted(stage.ends_on, days)
    Stage.objects.bulk_update(stages, ["starts_on", "ends_on"])
    measures = list(Measure.objects.select_for_update().filter(stage__in=stages, cancelled=False))
    for measure in measures:
        measure.starts_on, measure.ends_on = _shifted(measure.starts_on, days), _shifted(measure.ends_on, days)
    Measure.objects.bulk_update(measures, ["starts_on", "ends_on"])
    return len(stages), len(measures)


@transaction.atomic
def stage_add(
    *,
    actor: User | None,
    plan: Plan,
    name: str,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
) -> Stage:
    """Add a stage before the plan's last stage (验收 as a rule), while that last stage has not
    opened: a plan that has reached acceptance keeps its steps."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _require_plan_editor(actor, plan)
    name = bounded(name, Stage, "name")
    if not name:
        raise DomainError("请填写阶段名称。")
    stages = list(plan.stages.select_for_update().order_by("order"))
    if not stages or stages[-1].status != Stage.Status.PENDING:
        raise DomainError("方案已进入最后阶段，不能再添加阶段。")
    if any(s.name == name for s in stages):
        raise DomainError(f"方案中已有“{name}”。")
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError("结束日期不能早于开始日期。")
    last = stages[-1]
    position = last.order
    # The (plan, order) constraint: move the last stage out of the way before taking its place.
    Stage.objects.filter(pk=last.pk).update(order=position + 1)
    stage = Stage.objects.create(
        plan=plan, order=position, name=name, starts_on=starts_on, ends_on=ends_on, status=Stage.Status.PENDING
    )
    audit_record(
        actor=actor,
        action="plans.stage.added",
        target=stage,
        plan=plan,
        data={"name": name, "before": last.name, "order": position},
    )
    return stage


# --- templates: shifting the dates of a bureau's template (next year's plans) -------------------

# The template's spec is the parsed workbook as JSON (excel.spec.WorkbookSpec.to_json): stages with
# their measures with their tasks, each with ISO dates under these keys. plans sits below excel, so
# it walks the JSON; the keys are part of that stored format.
_TASK_DATES = ("starts_on", "due_on")


def _spec_rows(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], tuple[str, str]]]:
    """(kind, name, the dict holding the dates, its two date keys) for every part of the spec."""
    rows: list[tuple[str, str, dict[str, Any], tuple[str, str]]] = []
    for stage in spec.get("stages", []):
        rows.append(("阶段", stage.get("name", ""), stage, ("starts_on", "ends_on")))
        for measure in stage.get("measures", []):
            rows.append(("措施", measure.get("title", ""), measure, ("starts_on", "ends_on")))
            for task in measure.get("tasks", []):
                rows.append(("任务", task.get("title", ""), task, _TASK_DATES))
    return rows


def _iso(value: object) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if isinstance(value, str) and value else None


def template_date_shifts(
    template: PlanTemplate, days: int
) -> list[tuple[str, str, datetime.date | None, datetime.date | None]]:
    """What shifting the template by ``days`` does: (kind, name, old first date, new) per dated
    part, in the workbook's order. Read only: the preview; the write shifts the same dates."""
    shifts: list[tuple[str, str, datetime.date | None, datetime.date | None]] = []
    for kind, name, holder, keys in _spec_rows(template.spec or {}):
        first = _iso(holder.get(keys[0])) or _iso(holder.get(keys[1]))
        if first is not None:
            shifts.append((kind, name, first, _shifted(first, days)))
    return shifts


def template_earliest_date(template: PlanTemplate) -> datetime.date | None:
    """The first date of the template (what "move to a new start date" moves)."""
    return min((old for _, _, old, _ in template_date_shifts(template, 0) if old), default=None)


@transaction.atomic
def template_dates_shift(*, actor: User | None, template: PlanTemplate, days: int) -> dict[str, int]:
    """Shift every date of a plan template by ``days`` (next year's template: 365). Plans already
    issued from it keep their dates (they are copies). One audit row with the counts."""
    template = PlanTemplate.objects.select_for_update().select_related("bureau").get(pk=template.pk)
    require(actor is None or can_edit_template(actor, template))
    check_shift_days(days)
    spec = template.spec or {}
    counts = {"days": days, "阶段": 0, "措施": 0, "任务": 0}
    for kind, _, holder, keys in _spec_rows(spec):
        moved = False
        for key in keys:
            day = _iso(holder.get(key))
            if day is not None:
                holder[key] = (day + datetime.timedelta(days=days)).isoformat()
                moved = True
        counts[kind] += int(moved)
    if not any(counts[k] for k in ("阶段", "措施", "任务")):
        raise DomainError("模板中没有可调整的日期。")
    template.spec = spec
    template.save(update_fields=["spec"])
    data = {"days": days, "stages": counts["阶段"], "measures": counts["措施"], "tasks": counts["任务"]}
    audit_record(actor=actor, action="plans.template.dates_shifted", target=template, data=data)
    return data
