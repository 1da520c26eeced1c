"""The roster import: schools and staff accounts from one workbook, with the plan import's safety.

As for plans: inspect the file, parse it, resolve it against the database (outside any
transaction), then one transaction that writes everything through the orgs and plans services, or
nothing. Importing the same file again changes nothing: schools match by code, people by username
(or, without one, by name within their school). New accounts get random initial passwords, hashed
with ``orgs.passwords.InitialPasswordHasher`` and returned once, for the xlsx the admin hands out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Q

from audit.services import audit_record
from core.errors import NotAllowed
from excel.roster_reader import PEOPLE_SHEET, SCHOOL_SHEET, PersonItem, RosterRead, RosterSpec, SchoolItem, read_roster
from excel.safety import inspect_workbook
from excel.services import sha256_of
from excel.spec import Problem
from excel.writer import Column, XlsxBook
from orgs import services as org_services
from orgs.models import Organisation, User
from orgs.passwords import initial_password, initial_password_hash
from orgs.permissions import can_administer
from orgs.phones import normalize_phone
from plans import services as plan_services
from plans.models import LeadingGroupMember, Plan

_USERNAME = re.compile(r"^[\w.@+-]+$")
ROLE_LABELS = dict(LeadingGroupMember.Role.choices)
LEVEL_LABELS = dict(Organisation.Level.choices)


@dataclass
class SchoolPlan:
    item: SchoolItem
    parent: Organisation
    existing: Organisation | None = None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.item.level, "")


@dataclass
class PersonPlan:
    item: PersonItem
    school_code: str
    username: str
    phone: str
    existing: User | None = None
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.item.role, "")


@dataclass
class RosterResolution:
    bureau: Organisation
    spec: RosterSpec
    schools: list[SchoolPlan] = field(default_factory=list)
    people: list[PersonPlan] = field(default_factory=list)
    seats: list[tuple[str, str, str]] = field(default_factory=list)  # (school code, username, role)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def counts(self) -> dict[str, int]:
        return {
            "schools_new": sum(1 for s in self.schools if s.existing is None),
            "schools_changed": sum(1 for s in self.schools if s.existing is not None and s.changes),
            "people_new": sum(1 for p in self.people if p.existing is None),
            "people_changed": sum(1 for p in self.people if p.existing is not None and p.changes),
            "seats": len(self.seats),
        }

    @property
    def changes_anything(self) -> bool:
        return any(self.counts().values())


@dataclass
class RosterOutcome:
    read: RosterRead
    sha256: str
    resolution: RosterResolution | None = None
    passwords: list[tuple[str, str, str, str]] = field(default_factory=list)  # school, name, username, password
    written: bool = False

    @property
    def problems(self) -> list[Problem]:
        return self.read.problems + (self.resolution.problems if self.resolution else [])

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def check_roster_permission(actor: User | None, bureau: Organisation) -> None:
    if actor is not None and not can_administer(actor, bureau):
        raise NotAllowed("只有本县教育局管理员可以导入学校与人员名单。")


def roster_read(fileobj: BinaryIO) -> tuple[RosterRead, str]:
    """Inspect (hostile-file checks), hash and parse. Raises ``safety.WorkbookRefused``."""
    inspect_workbook(fileobj)
    digest = sha256_of(fileobj)
    return read_roster(fileobj), digest


# --- resolving ----------------------------------------------------------------------------------


def county_organisations(bureau: Organisation):
    return Organisation.objects.filter(Q(pk=bureau.pk) | Q(parent=bureau) | Q(parent__parent=bureau))


def resolve_roster(spec: RosterSpec, bureau: Organisation) -> RosterResolution:
    """Match the roster against the county: what to create, what to change, and every problem."""
    result = RosterResolution(bureau=bureau, spec=spec)
    county = list(county_organisations(bureau))
    centres = {key: o for o in county if o.kind == Organisation.Kind.CENTRE for key in (o.code, o.name)}
    _resolve_schools(spec, result, centres)
    _resolve_people(spec, result, county)
    _resolve_seats(result)
    return result


FIELDS = {
    "学校代码": "code",
    "学校名称": "name",
    "所属中心学校": "centre",
    "学段": "level",
    "手机号": "phone",
    "用户名": "username",
    "领导小组角色": "role",
    "学校": "school_code",
}


def _problem(result: RosterResolution, sheet: str, row: int, column: str, message: str, level: str = "error") -> None:
    spec = result.spec
    name = FIELDS.get(column, column)
    if sheet == PEOPLE_SHEET and column in ("学校代码", "学校"):
        name = "school_code" if "school_code" in spec.columns.get(sheet, {}) else "school_name"
    if sheet == PEOPLE_SHEET and column == "学校名称":
        name = "school_name"
    result.problems.append(Problem(spec.sheet(sheet), row, spec.where(sheet, name, column), message, level))


def _resolve_schools(spec: RosterSpec, result: RosterResolution, centres: dict[str, Organisation]) -> None:
    existing = {o.code: o for o in Organisation.objects.filter(code__in=[s.code for s in spec.schools])}
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for item in spec.schools:
        if not item.code or not item.name:
            continue
        if item.code in seen_codes:
            _problem(
                result,
                SCHOOL_SHEET,
                item.row,
                "学校代码",
                f"学校代码“{item.code}”与第 {seen_codes[item.code]} 行重复。",
            )
            continue
        if item.name in seen_names:
            _problem(
                result,
                SCHOOL_SHEET,
                item.row,
                "学校名称",
                f"学校名称“{item.name}”与第 {seen_names[item.name]} 行重复。",
            )
        seen_codes[item.code], seen_names[item.name] = item.row, item.row
        if not re.match(r"^[-a-zA-Z0-9_]+$", item.code):
            _problem(
                result, SCHOOL_SHEET, item.row, "学校代码", f"学校代码“{item.code}”只能包含字母、数字、短横线和下划线。"
            )
            continue
        parent = result.bureau
        if item.centre:
            centre = centres.get(item.centre)
            if centre is None:
                _problem(result, SCHOOL_SHEET, item.row, "所属中心学校", f"本县没有中心学校“{item.centre}”。")
                continue
            parent = centre
        org = existing.get(item.code)
        plan = SchoolPlan(item=item, parent=parent, existing=org)
        if org is not None:
            if org.kind != Organisation.Kind.SCHOOL or (
                org.parent_id not in {c.pk for c in centres.values()} | {result.bureau.pk}
            ):
                _problem(result, SCHOOL_SHEET, item.row, "学校代码", f"代码“{item.code}”已被其他单位（{org.name}）使用。")
                continue
            wanted = {
                "name": item.name,
                "township": item.township or org.township,
                "level": item.level or org.level,
                "address": item.address or org.address,
                "parent": parent if item.centre else org.parent,
            }
            plan.changes = {k: v for k, v in wanted.items() if getattr(org, k) != v}
        elif not item.level:
            _problem(result, SCHOOL_SHEET, item.row, "学段", "新学校须填写学段（小学、初中、九年一贯制或完全中学）。")
        result.schools.append(plan)


def _school_lookup(result: RosterResolution, county: list[Organisation]):
    by_code: dict[str, Organisation | SchoolItem] = {o.code: o for o in county if o.kind == Organisation.Kind.SCHOOL}
    names = Counter(o.name for o in county if o.kind == Organisation.Kind.SCHOOL)
    by_name: dict[str, Organisation | SchoolItem] = {o.name: o for o in county if o.kind == Organisation.Kind.SCHOOL}
    for plan in result.schools:
        by_code[plan.item.code] = plan.existing or plan.item
        if plan.existing is None:
            names[plan.item.name] += 1
        by_name[plan.item.name] = plan.existing or plan.item
    ambiguous = {name for name, n in names.items() if n > 1}
    return by_code, by_name, ambiguous


def _resolve_people(spec: RosterSpec, result: RosterResolution, county: list[Organisation]) -> None:
    by_code, by_name, ambiguous = _school_lookup(result, county)
    given = [p.username for p in spec.people if p.username]
    known = {u.username.lower(): u for u in User.objects.filter(username__in=given).select_related("organisation")}
    codes = [c for c in by_code]
    staff: dict[tuple[str, str], list[User]] = {}
    for user in User.objects.filter(organisation__code__in=codes).select_related("organisation"):
        staff.setdefault((user.organisation.code, user.full_name), []).append(user)
    taken = {u.lower() for u in given}
    seen_usernames: dict[str, int] = {}
    seen_people: dict[tuple[str, str], tuple[int, str]] = {}
    occurrences: Counter[tuple[str, str]] = Counter()
    for item in spec.people:
        school = by_code.get(item.school_code) if item.school_code else None
        if school is None and item.school_code:
            _problem(
                result,
                PEOPLE_SHEET,
                item.row,
                "学校代码",
                f"学校代码“{item.school_code}”不存在（本县和“学校”工作表中都没有）。",
            )
            continue
        if school is None:
            if item.school_name in ambiguous:
                _problem(
                    result, PEOPLE_SHEET, item.row, "学校名称", f"有多所学校名为“{item.school_name}”，请填写学校代码。"
                )
                continue
            school = by_name.get(item.school_name)
            if school is None:
                _problem(result, PEOPLE_SHEET, item.row, "学校名称", f"找不到学校“{item.school_name}”。")
                continue
        code = school.code
        try:
            phone = normalize_phone(item.phone)
        except ValueError as exc:
            _problem(result, PEOPLE_SHEET, item.row, "手机号", str(exc))
            continue
        if phone:
            first = seen_people.get((item.full_name, phone))
            if first is not None and first[1] != code:
                _problem(
                    result,
                    PEOPLE_SHEET,
                    item.row,
                    "学校",
                    f"{item.full_name}({phone})已在第 {first[0]} 行列在另一所学校；一个人只能属于一所学校。",
                )
                continue
            seen_people[(item.full_name, phone)] = (item.row, code)
        plan = PersonPlan(item=item, school_code=code, username=item.username, phone=phone)
        if item.username:
            if not _USERNAME.match(item.username):
                _problem(
                    result, PEOPLE_SHEET, item.row, "用户名", f"用户名“{item.username}”只能包含文字、数字和 . @ + - _。"
                )
                continue
            lowered = item.username.lower()
            if lowered in seen_usernames:
                _problem(
                    result,
                    PEOPLE_SHEET,
                    item.row,
                    "用户名",
                    f"用户名“{item.username}”与第 {seen_usernames[lowered]} 行重复。",
                )
                continue
            seen_usernames[lowered] = item.row
            user = known.get(lowered)
            if user is not None and (user.organisation is None or user.organisation.code != code):
                where = user.organisation.name if user.organisation else "其他单位"
                _problem(
                    result, PEOPLE_SHEET, item.row, "用户名", f"用户名“{item.username}”已被{where}的 {user} 使用。"
                )
                continue
            plan.existing = user
        else:
            # Namesakes in one school match their accounts in order (the first 王五 of the file is
            # the oldest account named 王五), so a re-import matches instead of creating 王五3.
            matches = sorted(staff.get((code, item.full_name), []), key=lambda u: u.pk)
            nth = occurrences[(code, item.full_name)]
            occurrences[(code, item.full_name)] += 1
            if nth < len(matches):
                plan.existing = matches[nth]
                plan.username = matches[nth].username
            else:
                plan.username = _new_username(item.full_name, taken)
        if plan.existing is not None:
            wanted = {
                "full_name": item.full_name,
                "phone": phone or plan.existing.phone,
                "position": item.position or plan.existing.position,
            }
            plan.changes = {k: v for k, v in wanted.items() if getattr(plan.existing, k) != v}
        result.people.append(plan)


def _new_username(full_name: str, taken: set[str]) -> str:
    """The name itself (Django usernames may be Chinese), with 2, 3, ... when it is taken."""
    base = re.sub(r"[^\w.@+-]", "", full_name)[:140] or "user"
    existing = {u.lower() for u in User.objects.filter(username__istartswith=base).values_list("username", flat=True)}
    candidate, n = base, 1
    while candidate.lower() in taken or candidate.lower() in existing:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate.lower())
    return candidate


def _resolve_seats(result: RosterResolution) -> None:
    leaders: dict[str, PersonPlan] = {}
    with_roles = [p for p in result.people if p.item.role]
    plans_by_school: dict[str, list[Plan]] = {}
    for plan in (
        Plan.objects.filter(school__code__in={p.school_code for p in with_roles})
        .exclude(status=Plan.Status.COMPLETED)
        .select_related("school")
    ):
        plans_by_school.setdefault(plan.school.code, []).append(plan)
    seats = {
        (s.plan_id, s.user_id): s.role
        for s in LeadingGroupMember.objects.filter(plan__in=[p for ps in plans_by_school.values() for p in ps])
    }
    current_leaders = {
        s.plan_id: s.user
        for s in LeadingGroupMember.objects.filter(
            plan__in=[p for ps in plans_by_school.values() for p in ps], role=LeadingGroupMember.Role.LEADER
        ).select_related("user")
    }
    for person in with_roles:
        role = person.item.role
        if role == LeadingGroupMember.Role.LEADER:
            first = leaders.get(person.school_code)
            if first is not None:
                _problem(
                    result,
                    PEOPLE_SHEET,
                    person.item.row,
                    "领导小组角色",
                    f"同一学校只能有一名组长（第 {first.item.row} 行已是组长）。",
                )
                continue
            leaders[person.school_code] = person
        plans = plans_by_school.get(person.school_code, [])
        if not plans:
            _problem(
                result,
                PEOPLE_SHEET,
                person.item.row,
                "领导小组角色",
                "该校还没有进行中的实施方案，领导小组角色暂不设置（可在方案的领导小组页面设置）。",
                "warning",
            )
            continue
        for plan in plans:
            user = person.existing
            if role == LeadingGroupMember.Role.LEADER:
                leader = current_leaders.get(plan.pk)
                if leader is not None and (user is None or leader.pk != user.pk):
                    _problem(
                        result,
                        PEOPLE_SHEET,
                        person.item.row,
                        "领导小组角色",
                        f"方案“{plan.title}”已有组长 {leader}，请先在领导小组页面调整。",
                    )
                    continue
            if user is not None and seats.get((plan.pk, user.pk)) == role:
                continue
            result.seats.append((person.school_code, person.username, role))


# --- writing ------------------------------------------------------------------------------------


def write_roster(resolution: RosterResolution, actor: User | None) -> list[tuple[str, str, str, str]]:
    """Inside the caller's transaction: every change through the orgs and plans services. Returns
    (school, name, username, initial password) of each new account."""
    schools: dict[str, Organisation] = {}
    for plan in resolution.schools:
        item = plan.item
        if plan.existing is None:
            schools[item.code] = org_services.organisation_create(
                actor=actor,
                code=item.code,
                name=item.name,
                kind=Organisation.Kind.SCHOOL,
                parent=plan.parent,
                township=item.township or plan.parent.township,
                level=item.level,
                address=item.address,
            )
        elif plan.changes:
            org = plan.existing
            values = {
                k: plan.changes.get(k, getattr(org, k)) for k in ("name", "township", "level", "address", "parent")
            }
            schools[item.code] = _as_system(org_services.organisation_update, actor, organisation=org, **values)
    passwords: list[tuple[str, str, str, str]] = []
    new_users: list[org_services.NewUser] = []
    by_code = {o.code: o for o in Organisation.objects.filter(code__in={p.school_code for p in resolution.people})}
    for person in resolution.people:
        school = by_code[person.school_code]
        if person.existing is None:
            password = initial_password()
            new_users.append(
                org_services.NewUser(
                    username=person.username,
                    organisation=school,
                    full_name=person.item.full_name,
                    phone=person.phone,
                    position=person.item.position,
                    password_hash=initial_password_hash(password),
                    must_change_password=True,
                )
            )
            passwords.append((school.name, person.item.full_name, person.username, password))
        elif person.changes:
            values = {k: person.changes.get(k, getattr(person.existing, k)) for k in ("full_name", "phone", "position")}
            _as_system(org_services.user_update, actor, person=person.existing, **values)
    # New accounts in one batch: the guards and audit rows of user_create, a few statements in all.
    org_services.users_create_bulk(actor=actor, items=new_users)
    _write_seats(resolution, actor)
    audit_record(actor=actor, action="excel.roster.imported", target=resolution.bureau, data=resolution.counts())
    return passwords


def _as_system(service, actor: User | None, **kwargs):
    # The update services need an actor; a system import (the command without --as-user) acts as
    # a superuser would, as organisation_create and user_create do with actor=None.
    if actor is None:
        actor = User(is_superuser=True, is_active=True)
    return service(actor=actor, **kwargs)


def _write_seats(resolution: RosterResolution, actor: User | None) -> None:
    if not resolution.seats:
        return
    users = {u.username: u for u in User.objects.filter(username__in={s[1] for s in resolution.seats})}
    plans: dict[str, list[Plan]] = {}
    for plan in (
        Plan.objects.filter(school__code__in={s[0] for s in resolution.seats})
        .exclude(status=Plan.Status.COMPLETED)
        .select_related("school")
    ):
        plans.setdefault(plan.school.code, []).append(plan)
    for code, username, role in resolution.seats:
        for plan in plans.get(code, []):
            plan_services.seat_set(actor=actor, plan=plan, user=users[username], role=role)


def roster_import(
    *, actor: User | None, bureau: Organisation, fileobj: BinaryIO, dry_run: bool = False
) -> RosterOutcome:
    """Read, resolve and (unless dry run or any error) write the roster in one transaction."""
    check_roster_permission(actor, bureau)
    read, digest = roster_read(fileobj)
    outcome = RosterOutcome(read=read, sha256=digest)
    if read.errors:
        return outcome
    outcome.resolution = resolve_roster(read.spec, bureau)
    if outcome.errors or dry_run:
        return outcome
    outcome.passwords = roster_write(actor=actor, resolution=outcome.resolution)
    outcome.written = True
    return outcome


def roster_write(*, actor: User | None, resolution: RosterResolution) -> list[tuple[str, str, str, str]]:
    """All or nothing: the whole roster in one transaction."""
    check_roster_permission(actor, resolution.bureau)
    with transaction.atomic():
        return write_roster(resolution, actor)


def passwords_workbook(passwords: list[tuple[str, str, str, str]]) -> XlsxBook:
    """The sheet of initial passwords the admin hands out (generated once, stored nowhere)."""
    book = XlsxBook()
    sheet = book.sheet(
        "初始密码",
        [Column("学校", 24), Column("姓名", 12), Column("用户名", 18), Column("初始密码", 16)],
        caption="账号与初始密码（首次登录须修改密码；请妥善分发，用后销毁）",
    )
    sheet.extend(passwords)
    return book
