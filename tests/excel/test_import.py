"""Importing a plan workbook: what it creates, role slots mapped to the leading group, all or nothing,
permissions, and the management command's exit codes."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from acceptance.models import AcceptanceCriterion
from audit.models import AuditEntry
from core.errors import NotAllowed
from excel import services
from excel.importer import Target
from excel.models import WorkbookImport
from plans.models import Indicator, LeadingGroupMember, Measure, Plan
from tasks.models import Task
from tests.excel_fixtures import messy_plan_workbook, simple_workbook

pytestmark = pytest.mark.django_db
D = datetime.date


def workbook_for(county) -> bytes:
    member = county.a.member.full_name
    return simple_workbook(
        [
            ["准备阶段", None, None, None, None, None, "2026-03-01", "2026-03-31", None],
            ["准备阶段", "成立工作领导小组", None, "组长", None, "校长办公室", "2026-03-01", "2026-03-15", 2],
            [None, None, "印发文件", "办公室", None, None, "2026-03-01", "2026-03-05", 1],
            [None, None, "召开会议", "组长", None, None, None, "2026-03-09", None],
            [None, None, "明确分工", "副组长", None, None, None, "2026-03-10", "1.5"],
            ["实施阶段", "资源配置优化", "补充图书", "资源组", None, "总务处", "2026-04-01", "2026-09-30", 3],
            [None, None, "更新仪器", "成员", None, None, None, "2026-10-01", None],
            [None, None, "建设录播教室", "成员", member, None, None, "2026-10-15", None],
        ],
        指标=[
            ["指标", "单位", "方向", "目标值", "关联措施"],
            ["生均图书", "册", "≥", 25, "资源配置优化"],
            ["辍学率", "%", "≤", "2%", None],
        ],
        评估表=[
            ["类别", "评估要点", "分值", "是否适用"],
            ["资源配置", "校舍达标", 10, "是"],
            [None, "食堂达标", 5, "否"],
        ],
    )


def new_plan_target(county, title="导入的方案", year=2026) -> Target:
    return Target(kind=WorkbookImport.Kind.NEW_PLAN, school=county.a.school, title=title, year=year)


def snapshot():
    return (
        Plan.objects.count(),
        Measure.objects.count(),
        Task.objects.count(),
        Indicator.objects.count(),
        AcceptanceCriterion.objects.count(),
        AuditEntry.objects.count(),
        LeadingGroupMember.objects.count(),
    )


def test_import_creates_everything_and_maps_role_slots(county):
    outcome = services.plan_import(
        actor=county.bureau_admin,
        fileobj=io.BytesIO(workbook_for(county)),
        target=new_plan_target(county),
        source_name="plan.xlsx",
    )
    assert not outcome.errors
    plan = outcome.plan
    assert (plan.school, plan.title, plan.year) == (county.a.school, "导入的方案", 2026)
    assert [(s.name, s.starts_on, s.ends_on) for s in plan.stages.order_by("order")] == [
        ("准备阶段", D(2026, 3, 1), D(2026, 3, 31)),
        ("实施阶段", D(2026, 4, 1), D(2026, 10, 15)),
    ]
    lead = Measure.objects.get(stage__plan=plan, title="成立工作领导小组")
    assert (lead.owner, lead.weight, lead.responsible_units) == (county.a.leader, Decimal("2"), "校长办公室")
    tasks = {t.title: t for t in Task.objects.filter(plan=plan)}
    assert tasks["印发文件"].assignee == county.a.office
    assert tasks["召开会议"].assignee == county.a.leader
    assert tasks["明确分工"].assignee == county.a.deputy and tasks["明确分工"].weight == Decimal("1.5")
    assert tasks["补充图书"].assignee is None and tasks["补充图书"].status == Task.Status.UNASSIGNED
    assert tasks["更新仪器"].assignee is None
    assert tasks["建设录播教室"].assignee == county.a.member
    assert tasks["印发文件"].status == Task.Status.ASSIGNED
    assert Measure.objects.get(stage__plan=plan, title="资源配置优化").working_group.name == "资源组"
    # The leading group is the school's, copied from its latest plan.
    assert set(plan.leading_group.values_list("user__username", "role")) == set(
        county.a.plan.leading_group.values_list("user__username", "role")
    )
    books = Indicator.objects.get(plan=plan, name="生均图书")
    assert (books.target, books.direction, books.measure.title) == (Decimal("25"), "ge", "资源配置优化")
    assert Indicator.objects.get(plan=plan, name="辍学率").target == Decimal("2")
    assert list(plan.criteria.values_list("point", "max_score", "applicable")) == [
        ("校舍达标", Decimal("10"), True),
        ("食堂达标", Decimal("5"), False),
    ]
    imported = AuditEntry.objects.get(action="plans.plan.imported", plan_id=plan.pk)
    assert imported.actor == county.bureau_admin and imported.data["tasks"] == 6
    assert AuditEntry.objects.filter(action="tasks.task.created", plan_id=plan.pk).count() == 6


def test_dry_run_writes_nothing_but_reports_everything(county):
    before = snapshot()
    outcome = services.plan_import(
        actor=county.bureau_admin,
        fileobj=io.BytesIO(workbook_for(county)),
        target=new_plan_target(county),
        dry_run=True,
    )
    assert outcome.counts == {"stages": 2, "measures": 2, "tasks": 6, "indicators": 2, "criteria": 2}
    assert outcome.resolution.unassigned == 2
    assert outcome.plan is None
    assert snapshot() == before


def test_a_failure_halfway_leaves_the_database_as_it_was(county, monkeypatch):
    from plans import services as plan_services

    real = plan_services.indicator_create
    calls = []

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(plan_services, "indicator_create", failing)
    before = snapshot()
    with pytest.raises(RuntimeError):
        services.plan_import(
            actor=county.bureau_admin, fileobj=io.BytesIO(workbook_for(county)), target=new_plan_target(county)
        )
    assert len(calls) == 2  # plan, measures and tasks had been written before the failure
    assert snapshot() == before


def test_problems_found_against_the_database_block_the_import(county):
    data = simple_workbook(
        [
            ["准备阶段", "措施", "任务一", "成员", "查无此人", None, None, None, None],
            [
                None,
                None,
                "任务二",
                "组长",
                county.b.leader.full_name,
                None,
                None,
                None,
                None,
            ],  # another school's person
        ]
    )
    before = snapshot()
    outcome = services.plan_import(actor=None, fileobj=io.BytesIO(data), target=new_plan_target(county))
    assert [(p.sheet, p.row, p.column) for p in outcome.errors] == [("方案", 2, "责任人"), ("方案", 3, "责任人")]
    assert "查无此人" in outcome.errors[0].message
    assert outcome.plan is None and snapshot() == before


def test_a_named_person_without_a_seat_gets_one_with_the_row_role(county):
    outsider = county.a.staff  # works at school a, no seat on its plan
    data = simple_workbook(
        [["准备阶段", "措施", "任务", "副组长", f"{outsider.full_name}({outsider.username})", None, None, None, None]]
    )
    outcome = services.plan_import(actor=None, fileobj=io.BytesIO(data), target=new_plan_target(county))
    assert not outcome.errors
    seat = outcome.plan.leading_group.get(user=outsider)
    assert seat.role == LeadingGroupMember.Role.DEPUTY
    assert Task.objects.get(plan=outcome.plan).assignee == outsider


def test_two_leaders_is_a_problem(county):
    data = simple_workbook([["准备阶段", "措施", "任务", "组长", county.a.staff.full_name, None, None, None, None]])
    outcome = services.plan_import(actor=None, fileobj=io.BytesIO(data), target=new_plan_target(county))
    assert outcome.errors and "组长" in outcome.errors[0].message


def test_title_clash_is_a_problem(county):
    outcome = services.plan_import(
        actor=None,
        fileobj=io.BytesIO(workbook_for(county)),
        target=new_plan_target(county, title=county.a.plan.title, year=county.a.plan.year),
    )
    assert outcome.errors and "已有" in outcome.errors[0].message


def test_title_comes_from_the_title_row_and_year_from_the_dates(county):
    target = Target(kind=WorkbookImport.Kind.NEW_PLAN, school=county.a.school)
    outcome = services.plan_import(actor=None, fileobj=io.BytesIO(messy_plan_workbook()), target=target)
    assert not outcome.errors
    assert (outcome.plan.title, outcome.plan.year) == ("示范县第一中学义务教育优质均衡发展实施方案任务分解表", 2026)


# --- into an existing plan ------------------------------------------------------------------------


def into_target(plan) -> Target:
    return Target(kind=WorkbookImport.Kind.INTO_PLAN, plan=plan)


def test_office_adds_a_workbook_to_its_plan_once(county):
    plan = county.a.plan
    data = simple_workbook([["实施阶段", "新措施", "新任务", "办公室", None, None, None, None, None]])
    outcome = services.plan_import(actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(plan))
    assert not outcome.errors and outcome.plan == plan
    task = Task.objects.get(plan=plan, title="新任务")
    assert (task.assignee, task.measure.stage.name) == (county.a.office, "实施阶段")
    # Audit rows name the office: it manages the plan's tasks.
    assert AuditEntry.objects.get(action="tasks.task.created", target_id=task.pk).actor == county.a.office
    again = services.plan_import(actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(plan))
    assert again.errors and "重复" in again.errors[0].message


def test_into_plan_stage_names_must_exist(county):
    data = simple_workbook([["第四阶段", "措施", "任务", None, None, None, None, None, None]])
    outcome = services.plan_import(actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(county.a.plan))
    assert outcome.errors and "第四阶段" in outcome.errors[0].message


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_and_staff_may_not_import_into_a_plan(county, who):
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.plan_import(
            actor=getattr(county.a, who), fileobj=io.BytesIO(workbook_for(county)), target=into_target(county.a.plan)
        )
    assert snapshot() == before


@pytest.mark.parametrize("who", ["b_office", "inspector", "other_bureau_user", "a_office"])
def test_only_bureau_admins_create_plans_for_a_school(county, who):
    user = {
        "b_office": county.b.office,
        "inspector": county.inspector,
        "other_bureau_user": county.other_bureau_user,
        "a_office": county.a.office,
    }[who]
    before = snapshot()
    with pytest.raises(NotAllowed):
        services.plan_import(actor=user, fileobj=io.BytesIO(workbook_for(county)), target=new_plan_target(county))
    assert snapshot() == before


def test_office_of_another_school_may_not_import_into_this_plan(county):
    with pytest.raises(NotAllowed):
        services.plan_import(
            actor=county.b.office, fileobj=io.BytesIO(workbook_for(county)), target=into_target(county.a.plan)
        )


# --- the command ----------------------------------------------------------------------------------


def test_command_imports_and_exits_zero(county, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(workbook_for(county))
    call_command("import_plan", str(path), "--school", "a", "--title", "命令行导入", "--year", "2026")
    out = capsys.readouterr().out
    assert "导入完成" in out
    assert Plan.objects.filter(school=county.a.school, title="命令行导入").exists()


def test_command_dry_run_writes_nothing(county, tmp_path, capsys):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(workbook_for(county))
    before = snapshot()
    call_command("import_plan", str(path), "--school", "a", "--title", "试导入", "--dry-run")
    assert "将创建：阶段 2，措施 2，任务 6，指标 2，评估要点 2" in capsys.readouterr().out
    assert snapshot() == before


def test_command_exits_non_zero_on_any_error(county, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(simple_workbook([["准备阶段", "措施", "任务", None, None, None, None, "2026-02-30", None]]))
    before = snapshot()
    with pytest.raises(CommandError) as failed:
        call_command("import_plan", str(path), "--school", "a", "--title", "有错")
    assert failed.value.returncode == 1
    assert "第 2 行" in capsys.readouterr().err
    assert snapshot() == before


@pytest.mark.parametrize("args", [["--school", "nope"], ["--plan", "999999"], [], ["--school", "a", "--plan", "1"]])
def test_command_refuses_bad_arguments(county, tmp_path, args):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(workbook_for(county))
    with pytest.raises(CommandError) as failed:
        call_command("import_plan", str(path), *args)
    assert failed.value.returncode == 2


def test_command_as_a_user_checks_permission(county, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(workbook_for(county))
    before = snapshot()
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_plan", str(path), "--school", "a", "--title", "越权", "--as-user", county.a.office.username
        )
    assert failed.value.returncode == 2 and "无权" in str(failed.value)
    assert snapshot() == before
    call_command("import_plan", str(path), "--school", "a", "--title", "局管理员导入", "--as-user", "bureau_admin")
    plan = Plan.objects.get(title="局管理员导入")
    assert AuditEntry.objects.get(action="plans.plan.imported", plan_id=plan.pk).actor == county.bureau_admin


def test_into_plan_an_existing_measure_takes_the_new_tasks(county):
    plan = county.a.plan
    measures_before = Measure.objects.filter(stage__plan=plan).count()
    data = simple_workbook([["准备阶段", "成立工作领导小组", "补充任务", "办公室", None, None, None, None, None]])
    outcome = services.plan_import(actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(plan))
    assert not outcome.errors
    assert any("加入该措施" in p.message for p in outcome.problems)
    assert Measure.objects.filter(stage__plan=plan).count() == measures_before
    assert Task.objects.get(plan=plan, title="补充任务").measure == county.a.measure


def test_the_preview_warns_of_dates_in_the_past(county):
    past = (datetime.date.today() - datetime.timedelta(days=400)).isoformat()
    data = simple_workbook([["实施阶段", "新措施", "旧任务", "办公室", None, None, None, past, None]])
    outcome = services.plan_import(
        actor=county.a.office, fileobj=io.BytesIO(data), target=into_target(county.a.plan), dry_run=True
    )
    assert not outcome.errors
    assert any("已过" in p.message and not p.is_error for p in outcome.problems)
