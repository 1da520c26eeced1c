"""The demo county: one bureau with its supervision office, a township centre school and three
schools, each running a plan shaped like the seed documents. Built only through services, and
idempotent: what already exists (by organisation code, username, plan title) is left alone."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from acceptance import services as acceptance_services
from dashboards.services import indicator_report
from demo.archive import seed_archive
from excel.example_plan import STAGES
from orgs import grants as org_grants
from orgs import services as org_services
from orgs.models import Organisation, User
from plans import services
from plans.models import Plan
from tasks import services as task_services
from tasks.models import Task
from tasks.services import task_create
from workflows.services import stage_complete

DEMO_PASSWORD = "Demo@2026"
PLAN_TITLE = "义务教育优质均衡发展实施方案"

ORGANISATIONS = [
    # code, name, kind, parent code, township
    ("sfs-jyj", "示范市教育局", Organisation.Kind.CITY, None, ""),
    ("sfx-jyj", "示范县教育局", Organisation.Kind.BUREAU, "sfs-jyj", ""),
    ("sfx-dds", "示范县教育局督导室", Organisation.Kind.SUPERVISION, "sfx-jyj", ""),
    ("qsz-zxx", "青石镇中心学校", Organisation.Kind.CENTRE, "sfx-jyj", "青石镇"),
    ("sfx-yz", "示范县第一中学", Organisation.Kind.SCHOOL, "sfx-jyj", "城关镇"),
    ("sfx-syxx", "示范县实验小学", Organisation.Kind.SCHOOL, "sfx-jyj", "城关镇"),
    ("qsz-zx", "青石镇中学", Organisation.Kind.SCHOOL, "qsz-zxx", "青石镇"),
]

# Every demo person is plainly invented: no real public figure's name (tests/demo/test_demo_content.py).
OVERSEERS = [
    # username, full name, org code, position, bureau role, superuser (the Django admin)
    ("sysadmin", "系统管理员", "sfx-jyj", "平台运维", "", True),
    ("jyj_admin", "闻礼和", "sfx-jyj", "教育局信息中心主任", User.BureauRole.ADMIN, False),
    ("dd_inspector", "蓝启正", "sfx-dds", "责任督学", User.BureauRole.INSPECTOR, False),
    ("qsz_centre", "池远澄", "qsz-zxx", "中心学校校长", "", False),
    ("city_admin", "郁知衡", "sfs-jyj", "市教育局督导科科长", "", False),
]

# Seats of every school's leading group: suffix, full-name pattern, position, role, working group.
SEATS = [
    ("principal", "校长", "leader", None, "全面负责"),
    ("deputy", "分管副校长", "deputy", "质量提升组", "分管教学与质量"),
    ("deputy2", "副校长", "deputy", "资源配置组", "分管后勤与装备"),
    ("office", "办公室主任", "office", None, "日常协调、督办、档案"),
    ("teacher1", "教导主任", "member", "质量提升组", "课程与教学"),
    ("teacher2", "总务主任", "member", "资源配置组", "校舍与装备"),
    ("teacher3", "政教主任", "member", "师资建设组", "德育与控辍"),
    ("teacher4", "年级组长", "member", "师资建设组", "教师培训"),
    ("teacher5", "骨干教师", "member", "质量提升组", "教研与示范课"),
]

SCHOOL_STAFF = {
    "sfx-yz": ("yz", ["甘若衡", "蒲念禾", "柏思源", "殷晓岚", "储文澜", "樊可钧", "芮景行", "凌书苒", "詹禾青"]),
    "sfx-syxx": ("syxx", ["沈予安", "阮清越", "贝承泽", "卜语桐", "汤卓尔", "邵沐晴", "梅庭舟", "祁雨棠", "鲍启帆"]),
    "qsz-zx": ("qszx", ["葛云岫", "房以宁", "单景澄", "谷怀瑾", "裴知远", "费听澜", "巫书衡", "管乐遥", "俞晴川"]),
}



@dataclass(frozen=True)
class Window:
    starts_on: datetime.date
    ends_on: datetime.date


def stage_windows(today: datetime.date) -> list[Window]:
    """准备 ended last month, 实施 runs around today, 验收 follows."""
    return [
        Window(today - datetime.timedelta(days=75), today - datetime.timedelta(days=40)),
        Window(today - datetime.timedelta(days=39), today + datetime.timedelta(days=120)),
        Window(today + datetime.timedelta(days=121), today + datetime.timedelta(days=180)),
    ]


def _due_dates(window: Window, count: int) -> list[datetime.date]:
    span = (window.ends_on - window.starts_on).days
    return [window.starts_on + datetime.timedelta(days=round(span * (i + 1) / (count + 1))) for i in range(count)]


def _ensure_org(code, name, kind, parent_code, township) -> Organisation:
    org = Organisation.objects.filter(code=code).first()
    if org is not None:
        return org
    parent = Organisation.objects.get(code=parent_code) if parent_code else None
    return org_services.organisation_create(actor=None, code=code, name=name, kind=kind, parent=parent, township=township)


def _attach_county(bureau: Organisation, city: Organisation) -> None:
    """A demo database seeded before the city existed: put its county under the city, with the
    grants organisation_update gives (the demo writes as the system, without an actor)."""
    if bureau.parent_id is None:
        bureau.parent = city
        bureau.save(update_fields=["parent"])
        org_grants.resync_county_visibility(bureau)


_PASSWORD_HASH: list[str] = []


def _demo_password_hash() -> str:
    # One hash for all demo users: PBKDF2 takes a noticeable fraction of a second per call.
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password(DEMO_PASSWORD))
    return _PASSWORD_HASH[0]


def _ensure_user(username, full_name, org, position, bureau_role="", is_superuser=False) -> User:
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user
    return org_services.user_create(
        actor=None,
        username=username,
        password=None,
        password_hash=_demo_password_hash(),
        organisation=org,
        full_name=full_name,
        position=position,
        bureau_role=bureau_role,
        is_superuser=is_superuser,
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, organisation) of every demo login, for the README and `make run`."""
    bureau_roles = {User.BureauRole.ADMIN: "局管理员", User.BureauRole.INSPECTOR: "督导员"}
    rows = [
        (u, f"{pos} · {'系统管理员（管理后台）' if su else bureau_roles.get(role, '只读查看辖区学校')}", code)
        for u, _, code, pos, role, su in OVERSEERS
    ]
    names = {code: name for code, name, *_ in ORGANISATIONS}
    rows = [(u, r, names[c]) for u, r, c in rows]
    role_names = {"leader": "组长", "deputy": "副组长", "office": "办公室主任", "member": "成员"}
    for code, (prefix, _) in SCHOOL_STAFF.items():
        for suffix, position, role, _, _ in SEATS:
            rows.append((f"{prefix}_{suffix}", f"{position} · {role_names[role]}", names[code]))
    return rows


@transaction.atomic
def seed_demo(today: datetime.date | None = None) -> dict[str, int]:
    """Create whatever of the demo county is missing. Returns counts of what was created."""
    today = today or timezone.localdate()
    created = {"plans": 0}
    orgs = {row[0]: _ensure_org(*row) for row in ORGANISATIONS}
    _attach_county(orgs["sfx-jyj"], orgs["sfs-jyj"])
    for username, full_name, code, position, role, is_superuser in OVERSEERS:
        _ensure_user(username, full_name, orgs[code], position, role, is_superuser)
    for code, (prefix, names) in SCHOOL_STAFF.items():
        school = orgs[code]
        staff = {
            suffix: _ensure_user(f"{prefix}_{suffix}", full_name, school, position)
            for (suffix, position, *_), full_name in zip(SEATS, names, strict=False)
        }
        if Plan.objects.filter(school=school, title=PLAN_TITLE, year=today.year).exists():
            continue
        plan = _build_plan(school, staff, today)
        _add_form(plan)
        if code in ACCEPTANCE:
            _report_indicators(plan, staff, READINGS.get(code, {}), today)
            # Filed while the tasks are open; the accepted school's archive then freezes with its plan.
            seed_archive(plan, staff["office"], today, complete=ACCEPTANCE[code] == "accepted")
            _play_acceptance(plan, staff, ACCEPTANCE[code], orgs, today)
        else:
            _play_history(plan, staff, PROGRESS[code])
            _report_indicators(plan, staff, READINGS.get(code, {}), today)
            _self_assess(plan, staff, partial=True)
        created["plans"] += 1
    return created


# The acceptance form (评估表) of every demo plan: category, point, points, evidence expected (sums to 100).
CRITERIA = [
    ("办学条件", "生均教学及辅助用房面积、体育运动场馆面积达到省定标准", "10", "校舍平面图、面积统计表"),
    ("办学条件", "生均图书达到标准，图书室（馆）正常开放并有借阅记录", "10", "图书登记簿、借阅记录"),
    ("办学条件", "实验室、功能室按标准配备并有使用记录", "10", "仪器设备台账、使用记录"),
    ("办学条件", "学生食堂与宿舍符合安全卫生标准", "5", "食品经营许可证、宿舍管理制度"),
    ("师资队伍", "教师学历达标，专科以上学历比例达到要求", "10", "教师花名册、学历证书复印件"),
    ("师资队伍", "教师培训学时达标，校本研修制度健全", "10", "培训记录、研修计划与总结"),
    ("教育质量", "严格执行课程计划，开齐开足国家课程", "10", "总课程表、作息时间表"),
    ("教育质量", "控辍保学责任落实，辍学率控制在规定范围内", "10", "学籍变动登记、控辍台账"),
    ("教育质量", "学生体质健康合格率达到要求", "10", "体质健康测试数据"),
    ("学校管理", "领导小组健全，实施方案按阶段落实并有督查记录", "10", "领导小组文件、督查记录"),
    ("学校管理", "档案资料分类齐全，目录清楚", "5", "档案总目录、分卷目录"),
]

# Schools whose plan has reached the bureau's acceptance: one accepted (with its certificate), one
# in rectification after a failed inspection. The third school is still implementing.
ACCEPTANCE = {"sfx-syxx": "accepted", "qsz-zx": "rectifying"}

# How far each demo school has got: share of 实施 tasks closed, and whether 准备 is signed.
PROGRESS = {"sfx-yz": (0.45, True), "sfx-syxx": (0.2, True), "qsz-zx": (0.0, False)}


def _play_history(plan: Plan, staff: dict[str, User], progress: tuple[float, bool]) -> None:
    """Move the demo plan along through the real services, so its history reads true."""
    share, prep_signed = progress
    stages = list(plan.stages.order_by("order"))
    prep_tasks = list(Task.objects.filter(measure__stage=stages[0]).select_related("assignee").order_by("id"))
    if not prep_signed:
        for i, task in enumerate(prep_tasks):
            if i % 3 == 0:
                _close(task, staff["office"])
            elif i % 3 == 1:
                task_services.task_start(task=task, actor=task.assignee)
        return
    for task in prep_tasks:
        _close(task, staff["office"])
    stage_complete(stage=stages[0], actor=staff["principal"])
    impl = list(Task.objects.filter(measure__stage=stages[1]).select_related("assignee").order_by("due_on", "id"))
    n_closed = round(len(impl) * share)
    for i, task in enumerate(impl):
        if i < n_closed:
            _close(task, staff["office"])
        elif i == n_closed:
            task_services.task_submit(task=task, actor=task.assignee, note="已完成，请审核。")
            task_services.task_return(task=task, actor=staff["deputy"], reason="请补充活动照片和签到表。")
        elif i < n_closed + 3:
            task_services.task_submit(task=task, actor=task.assignee, note="已完成，请审核。")
        elif i < n_closed + 7:
            task_services.task_start(task=task, actor=task.assignee)
    if impl:
        task_services.comment_add(task=impl[0], actor=staff["principal"], body="做得扎实，注意把过程材料归档。")


# The demo plan's indicators are the seed documents' own (shared seed 001, 柳湾煤矿中学's plan:
# 办学条件, 教师队伍, 普及程度, 素质教育), none invented: (name, unit, direction, target, the seed's words).
INDICATORS = [
    ("生均校舍面积", "平方米", "ge", Decimal("14"), "每名学生平均校舍面积到达14平方米"),
    ("生均图书", "册", "ge", Decimal("25"), "图书配备生平均到达25册"),
    ("教师专科以上学历比例", "%", "ge", Decimal("95"), "全校教师专科以上学历要到达95%以上"),
    ("初中升学率", "%", "ge", Decimal("44.8"), "我校初中生升学率到达44.8%"),
    ("初中辍学率", "%", "le", Decimal("2"), "初中生辍学率控制在2%以内"),
    ("学生体质健康合格率", "%", "ge", Decimal("95"), "学生体质健康合格率到达95%以上"),
]

# Readings per school: indicator name → (value two months ago, value last week).
READINGS = {
    "sfx-yz": {
        "生均校舍面积": ("13.2", "14.6"),
        "生均图书": ("22", "26.5"),
        "教师专科以上学历比例": ("93.5", "96.1"),
        "初中升学率": ("42.5", "45.3"),
        "初中辍学率": ("1.2", "0.8"),
        "学生体质健康合格率": ("92", "94.3"),
    },
    "sfx-syxx": {
        "生均校舍面积": ("11.8", "12.4"),
        "生均图书": ("25.5", "27"),
        "教师专科以上学历比例": ("97", "97.5"),
        "学生体质健康合格率": ("95.5", "96"),
    },
    "qsz-zx": {"生均图书": ("18", "19.5"), "初中升学率": ("40.2", "43.6"), "初中辍学率": ("2.6", "2.3")},
}


def _report_indicators(plan: Plan, staff: dict[str, User], readings: dict, today: datetime.date) -> None:
    for indicator in plan.indicators.all():
        values = readings.get(indicator.name)
        if not values:
            continue
        for value, days_ago in zip(values, (60, 7), strict=True):
            indicator_report(
                actor=staff["office"],
                indicator=indicator,
                value=Decimal(value),
                measured_on=today - datetime.timedelta(days=days_ago),
                note="学校自查统计",
            )


def _add_form(plan: Plan) -> None:
    for category, point, points, evidence in CRITERIA:
        acceptance_services.criterion_create(
            actor=None,
            plan=plan,
            category=category,
            point=point,
            max_score=Decimal(points),
            evidence_expected=evidence,
        )


def _self_assess(plan: Plan, staff: dict[str, User], partial: bool = False) -> None:
    """The office rates the form: mostly 1档, two 2档; a partial self-assessment stops half way."""
    criteria = list(plan.criteria.order_by("order"))
    for i, criterion in enumerate(criteria[: len(criteria) // 2] if partial else criteria):
        if "食堂" in criterion.point and not partial:
            acceptance_services.self_rating_set(
                actor=staff["office"], criterion=criterion, tier=None, not_applicable=True,
                na_reason="本校无寄宿生，未设食堂和宿舍。",
            )
            continue
        acceptance_services.self_rating_set(
            actor=staff["office"], criterion=criterion, tier=2 if i in (2, 5) else 1, note="对照标准逐项自查。"
        )


def _finish_stages(plan: Plan, staff: dict[str, User]) -> None:
    """Every task done and the gates before the acceptance stage signed."""
    stages = list(plan.stages.order_by("order"))
    for stage in stages:
        for task in Task.objects.filter(measure__stage=stage).exclude(status=Task.Status.CLOSED).order_by("id"):
            _close(task, staff["office"])
        if stage is not stages[-1]:
            stage_complete(stage=stage, actor=staff["principal"])


def _play_acceptance(
    plan: Plan, staff: dict[str, User], outcome: str, orgs: dict[str, Organisation], today: datetime.date
) -> None:
    """Self-assess, apply, inspect; then either pass (公示 ended, accepted) or fail with two items to
    rectify, one of them already assigned."""
    _finish_stages(plan, staff)
    _self_assess(plan, staff)
    application = acceptance_services.application_submit(
        actor=staff["principal"], plan=plan, note="各项工作已按方案完成，自评合格，申请县教育局评估验收。"
    )
    inspector = User.objects.get(username="dd_inspector")
    admin = User.objects.get(username="jyj_admin")
    acceptance_services.inspection_team_set(
        actor=admin, application=application, leader=inspector, members=[admin], inspection_date=today
    )
    failing = outcome != "accepted"
    for criterion in plan.criteria.order_by("order"):
        if "食堂" in criterion.point:
            acceptance_services.na_claim_decide(actor=inspector, application=application, criterion=criterion, confirm=True)
            continue
        short = failing and ("图书" in criterion.point or "培训" in criterion.point)
        acceptance_services.inspector_rating_set(
            actor=admin, application=application, criterion=criterion, tier=3 if short else 1
        )
        acceptance_services.final_rating_set(
            actor=inspector,
            application=application,
            criterion=criterion,
            tier=4 if short else 1,
            rectify=short,
            remark="生均图书不足且借阅记录缺失，须补充。" if "图书" in criterion.point and short else
            ("培训学时不足，须补齐并完善研修记录。" if short else ""),
        )
    if failing:
        # Two items of 20 points at 4档 and one more at 2档 leave the score under 85.
        first = plan.criteria.order_by("order").first()
        assert first is not None
        acceptance_services.final_rating_set(actor=inspector, application=application, criterion=first, tier=3)
    acceptance_services.inspection_result_record(actor=inspector, application=application, note="现场核查后评定。")
    if failing:
        item = plan.rectification_items.order_by("pk").first()
        assert item is not None
        acceptance_services.rectification_assign(
            actor=staff["office"], item=item, owner=staff["teacher2"], due_on=today + datetime.timedelta(days=30)
        )
        return
    application.refresh_from_db()
    assert application.notice_ends_on is not None
    acceptance_services.acceptance_finalise(
        actor=None, application=application, today=application.notice_ends_on + datetime.timedelta(days=1)
    )
    _play_spot_check(plan, today)


def _play_spot_check(plan: Plan, today: datetime.date) -> None:
    """The city's spot check (抽检) of the accepted school, by city_admin alone: 合格, the plan stays
    accepted. The county's confirmed not-applicable line (the canteen) stays out of the total."""
    city_admin = User.objects.get(username="city_admin")
    check = acceptance_services.spot_check_open(
        actor=city_admin, plan=plan, leader=city_admin, inspection_date=today, note="市级年度随机抽检。"
    )
    for criterion in plan.criteria.order_by("order"):
        if "食堂" in criterion.point:
            continue
        tier = 2 if "档案" in criterion.point else 1
        acceptance_services.inspector_rating_set(actor=city_admin, application=check, criterion=criterion, tier=tier)
        acceptance_services.final_rating_set(
            actor=city_admin,
            application=check,
            criterion=criterion,
            tier=tier,
            remark="分卷目录与卷内目录个别不一致，已现场指出。" if tier == 2 else "",
        )
    acceptance_services.spot_check_result_record(actor=city_admin, application=check, note="抽检合格，保持验收结论。")


def _close(task: Task, reviewer: User) -> None:
    task_services.task_submit(task=task, actor=task.assignee, note="已完成。")
    task_services.task_close(task=task, actor=reviewer)


def _build_plan(school: Organisation, staff: dict[str, User], today: datetime.date) -> Plan:
    windows = stage_windows(today)
    plan = services.plan_create(
        actor=None,
        school=school,
        title=PLAN_TITLE,
        year=today.year,
        summary="以办学条件、师资队伍、教育质量均衡为重点，力争到年底全面达到县域义务教育优质均衡发展评估标准。",
        stages=[
            services.StageSpec(name, w.starts_on, w.ends_on) for (name, _), w in zip(STAGES, windows, strict=False)
        ],
    )
    groups = {
        name: services.working_group_create(actor=None, plan=plan, name=name)
        for name in ("资源配置组", "师资建设组", "质量提升组")
    }
    for suffix, _, role, group_name, duty in SEATS:
        services.seat_set(
            actor=None, plan=plan, user=staff[suffix], role=role, working_group=groups.get(group_name), duty=duty
        )
    stages = list(plan.stages.order_by("order"))
    measures = {}
    for stage, window, (_, measure_rows) in zip(stages, windows, STAGES, strict=False):
        for title, owner, units, task_rows in measure_rows:
            measure = services.measure_create(
                actor=None,
                stage=stage,
                title=title,
                owner=staff[owner],
                responsible_units=units,
                starts_on=window.starts_on,
                ends_on=window.ends_on,
            )
            measures[title] = measure
            for (task_title, assignee), due in zip(task_rows, _due_dates(window, len(task_rows)), strict=False):
                task_create(
                    actor=None,
                    measure=measure,
                    title=task_title,
                    assignee=staff[assignee],
                    starts_on=window.starts_on,
                    due_on=due,
                )
    links = {
        "生均校舍面积": "资源配置优化",
        "生均图书": "资源配置优化",
        "教师专科以上学历比例": "师资队伍建设",
        "初中升学率": "教育质量提升",
        "初中辍学率": "控辍保学",
        "学生体质健康合格率": "学生体质健康促进",
    }
    for name, unit, direction, target, _words in INDICATORS:
        services.indicator_create(
            actor=None,
            plan=plan,
            name=name,
            unit=unit,
            direction=direction,
            target=target,
            measure=measures.get(links.get(name, "")),
        )
    return plan
