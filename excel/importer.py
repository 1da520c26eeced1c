"""Resolve a parsed workbook against the database: the target plan, the people named in it, and
the leading group its role slots map to. Reads only; the writes are in excel.services.

Role slots (责任角色) map to the target plan's leading group. For a new plan that group is copied
from the school's latest plan that has one (the same people run the school's plans); a person named
in 责任人 who has no seat yet gets one, with the row's role (成员 when the role is a working group).
A slot without a person goes to the one holder of that role (组长, 办公室, or the only 副组长), or
for a working group to its only 副组长; otherwise the task waits unassigned (待分派).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from audit.models import AuditEntry
from excel.models import WorkbookImport
from excel.spec import INDICATOR_SHEET, PLAN_SHEET, Problem, Slot, WorkbookSpec
from orgs.models import Organisation, User
from plans.models import LeadingGroupMember, Measure, Plan, PlanTemplate

Role = LeadingGroupMember.Role
_NAME_WITH_USERNAME = re.compile(r"^(.*?)\s*[((]\s*([\w.@+-]+)\s*[))]$")


@dataclass
class Target:
    kind: str  # WorkbookImport.Kind
    title: str = ""
    year: int | None = None
    school: Organisation | None = None  # new plan
    plan: Plan | None = None  # into an existing plan
    bureau: Organisation | None = None  # template

    @property
    def target_school(self) -> Organisation | None:
        return self.plan.school if self.plan is not None else self.school


@dataclass
class SeatPlan:
    user: User
    role: str
    group: str = ""
    duty: str = ""
    new: bool = False  # not yet on the target plan's leading group
    copied: bool = False  # taken over from the school's latest plan

    @property
    def role_label(self) -> str:
        return Role(self.role).label + (f" · {self.group}" if self.group else "")


@dataclass
class Resolution:
    """Everything a write needs, decided before the write transaction opens."""

    spec: WorkbookSpec
    target: Target
    problems: list[Problem] = field(default_factory=list)
    seats: list[SeatPlan] = field(default_factory=list)
    source_plan: Plan | None = None
    owners: dict[int, User | None] = field(default_factory=dict)  # measure row -> owner
    assignees: dict[int, User | None] = field(default_factory=dict)  # task row -> assignee
    groups: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def new_seats(self) -> list[SeatPlan]:
        return [s for s in self.seats if s.new]

    @property
    def copied_seats(self) -> list[SeatPlan]:
        return [s for s in self.seats if s.copied]

    @property
    def named_seats(self) -> list[SeatPlan]:
        return [s for s in self.seats if s.new and not s.copied]

    @property
    def assigned(self) -> int:
        return sum(1 for user in self.assignees.values() if user is not None)

    @property
    def unassigned(self) -> int:
        return sum(1 for user in self.assignees.values() if user is None)


def resolve(spec: WorkbookSpec, target: Target, *, sha256: str = "") -> Resolution:
    """Check the parsed workbook against the target; collect every problem, never raise for data."""
    result = Resolution(spec=spec, target=target)
    if not spec.measures:
        return result
    _check_target(result, sha256)
    result.problems += check_indicator_links(spec)
    if target.kind == WorkbookImport.Kind.TEMPLATE:
        result.groups = spec.working_groups()
        return result
    _warn_past_dates(result)
    school = target.target_school
    people = _People(school)
    result.seats = _starting_seats(result)
    _seat_named_people(result, people)
    result.groups = list(dict.fromkeys([*(s.group for s in result.seats if s.group), *spec.working_groups()]))
    _assign(result, people)
    return result


def _warn_past_dates(result: Resolution) -> None:
    """A plan's end dates that already lie in the past (often last year's file): warn, row by row."""
    today = timezone.localdate()
    for stage in result.spec.stages:
        for measure in stage.measures:
            if measure.ends_on and measure.ends_on < today:
                _problem(result, measure.row, "截止日期", f"措施截止日期 {measure.ends_on} 已过。", "warning")
            for task in measure.tasks:
                if task.due_on and task.due_on < today:
                    _problem(result, task.row, "截止日期", f"任务截止日期 {task.due_on} 已过（是否沿用了往年的日期?）。", "warning")


def _problem(
    result: Resolution, row: int | None, column: str, message: str, level: str = "error", sheet: str = PLAN_SHEET
) -> None:
    result.problems.append(Problem(sheet, row, column, message, level))


def _check_target(result: Resolution, sha256: str) -> None:
    target, spec = result.target, result.spec
    if target.kind == WorkbookImport.Kind.INTO_PLAN:
        stages = {s.name: s for s in target.plan.stages.all()}
        names = set(stages)
        for stage in spec.stages:
            if (
                stage.name in stages
                and stages[stage.name].status == "completed"
                and any(m.tasks for m in stage.measures)
            ):
                _problem(result, stage.row, "阶段", f"“{stage.name}”已签署完成，不能再新建任务。")
            if stage.name not in names:
                _problem(
                    result, stage.row, "阶段", f"方案中没有名为“{stage.name}”的阶段（现有：{'、'.join(sorted(names))}）。"
                )
        # Web and command imports both leave this audit row, with the file's digest.
        done = AuditEntry.objects.filter(plan_id=target.plan.pk, action="plans.plan.imported", data__sha256=sha256)
        if sha256 and done.exists():
            _problem(result, None, "", "同一文件已导入过该方案，不能重复导入。")
        _warn_existing_measures(result)
        return
    if not target.title:
        _problem(result, None, "", "缺少方案名称：请在表头上方的标题行填写，或在导入时指定。")
    if not target.year:
        _problem(result, None, "", "缺少年度。")
    if target.kind == WorkbookImport.Kind.TEMPLATE:
        if PlanTemplate.objects.filter(bureau=target.bureau, title=target.title, year=target.year).exists():
            _problem(result, None, "", f"已有 {target.year} 年度的模板“{target.title}”。")
        if any(not m.slot.is_empty and m.slot.person for m in spec.measures) or any(t.slot.person for t in spec.tasks):
            _problem(result, None, "", "模板只保留责任角色，“责任人”一列将被忽略。", "warning")
    elif Plan.objects.filter(school=target.school, title=target.title, year=target.year).exists():
        _problem(result, None, "", f"{target.school.name} 已有 {target.year} 年度的“{target.title}”。")


def _warn_existing_measures(result: Resolution) -> None:
    existing = set(
        Measure.objects.filter(stage__plan=result.target.plan, cancelled=False).values_list("stage__name", "title")
    )
    for stage in result.spec.stages:
        for measure in stage.measures:
            if (stage.name, measure.title) in existing:
                _problem(
                    result, measure.row, "措施", f"方案中已有措施“{measure.title}”，其任务将加入该措施（不再新建）。", "warning"
                )


class _People:
    """The school's active staff, found by full name, username, or "姓名(用户名)"."""

    def __init__(self, school: Organisation):
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(organisation=school, is_active=True):
            self.by_username[user.username] = user
            self.by_name[(user.full_name or user.username).strip()].append(user)

    def find(self, written: str) -> tuple[User | None, str]:
        match = _NAME_WITH_USERNAME.match(written)
        if match and match.group(2) in self.by_username:
            return self.by_username[match.group(2)], ""
        if written in self.by_username:
            return self.by_username[written], ""
        found = self.by_name.get(written, [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, f"本校有 {len(found)} 位“{written}”，请写成“姓名（用户名）”。"
        return None, f"本校没有名为“{written}”的人员。"


def _starting_seats(result: Resolution) -> list[SeatPlan]:
    """The leading group role slots map to: the target plan's, or (new plan) the school's latest."""
    target = result.target
    if target.kind == WorkbookImport.Kind.INTO_PLAN:
        source = target.plan
    else:
        source = (
            Plan.objects.filter(school=target.school, leading_group__isnull=False)
            .order_by("-year", "-created_at", "-id")
            .first()
        )
        result.source_plan = source
        if source is None:
            _problem(result, None, "", f"{target.school.name} 尚无领导小组：未写明责任人的任务将为“待分派”。", "warning")
            return []
    seats = []
    for seat in source.leading_group.select_related("user", "working_group").order_by("role", "id"):
        if seat.user.organisation_id != target.target_school.pk or not seat.user.is_active:
            continue  # moved to another school, or left
        seats.append(
            SeatPlan(
                user=seat.user,
                role=seat.role,
                group=seat.working_group.name if seat.working_group else "",
                duty=seat.duty,
                new=target.kind != WorkbookImport.Kind.INTO_PLAN,
                copied=target.kind != WorkbookImport.Kind.INTO_PLAN,
            )
        )
    return seats


def _slots(spec: WorkbookSpec):
    for measure in spec.measures:
        yield measure.row, "measure", measure.slot
        for task in measure.tasks:
            yield task.row, "task", task.slot


def _seat_named_people(result: Resolution, people: _People) -> None:
    by_user = {s.user.pk: s for s in result.seats}
    leader = next((s.user for s in result.seats if s.role == Role.LEADER), None)
    for row, _, slot in _slots(result.spec):
        if not slot.person:
            continue
        user, message = people.find(slot.person)
        if user is None:
            _problem(result, row, "责任人", message)
            continue
        if user.pk in by_user:
            continue
        role = slot.role or Role.MEMBER
        if role == Role.LEADER and leader is not None and leader.pk != user.pk:
            _problem(result, row, "责任人", f"该方案的组长已是 {leader},{user} 不能再任组长。")
            continue
        leader = user if role == Role.LEADER else leader
        seat = SeatPlan(user=user, role=role, group=slot.group, new=True)
        by_user[user.pk] = seat
        result.seats.append(seat)


def _assign(result: Resolution, people: _People) -> None:
    seats = result.seats
    holders: dict[str, list[User]] = defaultdict(list)
    group_deputies: dict[str, list[User]] = defaultdict(list)
    for seat in seats:
        holders[seat.role].append(seat.user)
        if seat.group and seat.role == Role.DEPUTY:
            group_deputies[seat.group].append(seat.user)
    named = {s.user.username: s.user for s in seats}

    def who(slot: Slot) -> User | None:
        if slot.person:
            user, _ = people.find(slot.person)
            return named.get(user.username) if user else None
        if slot.role in (Role.LEADER, Role.OFFICE, Role.DEPUTY):
            found = holders.get(slot.role, [])
            return found[0] if len(found) == 1 else None
        if slot.group:
            found = group_deputies.get(slot.group, [])
            return found[0] if len(found) == 1 else None
        return None

    for row, kind, slot in _slots(result.spec):
        (result.owners if kind == "measure" else result.assignees)[row] = who(slot)


def check_indicator_links(spec: WorkbookSpec) -> list[Problem]:
    """Measure titles used by several stages make an indicator link ambiguous: the first is taken."""
    counts: dict[str, int] = defaultdict(int)
    for measure in spec.measures:
        counts[measure.title] += 1
    return [
        Problem(INDICATOR_SHEET, i.row, "关联措施", f"有多个名为“{i.measure}”的措施，将关联第一个。", "warning")
        for i in spec.indicators
        if i.measure and counts[i.measure] > 1
    ]
