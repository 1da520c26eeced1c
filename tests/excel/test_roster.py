"""The roster import: schools and staff from one workbook; dry run, all or nothing, idempotent;
bad input reported by sheet, row and column with nothing written."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from audit.models import AuditEntry
from core.errors import NotAllowed
from excel import roster
from excel.safety import WorkbookRefused
from orgs.models import Organisation, User
from plans.models import LeadingGroupMember
from tests.excel.roster_fixtures import roster_workbook
from tests.factories import PlanFactory


def _import(county, data, *, actor="admin", dry_run=False):
    who = county.bureau_admin if actor == "admin" else actor
    return roster.roster_import(actor=who, bureau=county.bureau, fileobj=io.BytesIO(data), dry_run=dry_run)


def _state():
    return (
        sorted(Organisation.objects.values_list("code", "name", "parent_id", "level", "address")),
        sorted(User.objects.values_list("username", "full_name", "phone", "position", "organisation_id")),
        LeadingGroupMember.objects.count(),
        AuditEntry.objects.count(),
    )


def _messages(outcome):
    return [f"{p.sheet}|{p.row}|{p.column}|{p.message}" for p in outcome.errors]


def test_a_messy_roster_imports_schools_and_people(county):
    outcome = _import(county, roster_workbook())
    assert outcome.written and not outcome.errors, _messages(outcome)
    ql = Organisation.objects.get(code="ql")
    hs = Organisation.objects.get(code="hs")
    assert (ql.parent, ql.level, ql.township, ql.address) == (county.centre, "primary", "青石镇", "青龙村 1 号")
    assert (hs.parent, hs.level) == (county.bureau, "junior")
    wang = User.objects.get(username="ql_wang")
    li = User.objects.get(full_name="李老师")
    assert (wang.organisation, wang.phone, wang.position, wang.must_change_password) == (
        ql,
        "13900000011",
        "校长",
        True,
    )
    assert li.organisation == ql and li.username == "李老师"  # made from the name
    passwords = {username: pw for _, _, username, pw in outcome.passwords}
    assert set(passwords) == {"ql_wang", "李老师", "hs_zhao"}
    assert wang.check_password(passwords["ql_wang"])
    assert AuditEntry.objects.filter(action="excel.roster.imported", actor=county.bureau_admin).count() == 1
    assert AuditEntry.objects.filter(action="orgs.user.created", actor=county.bureau_admin).count() == 3


def test_importing_the_same_file_again_changes_nothing(county):
    data = roster_workbook()
    _import(county, data)
    before = _state()
    outcome = _import(county, data)
    assert not outcome.errors and outcome.passwords == []
    assert not outcome.resolution.changes_anything
    assert _state()[:3] == before[:3]


def test_a_dry_run_writes_nothing(county):
    before = _state()
    outcome = _import(county, roster_workbook(), dry_run=True)
    assert not outcome.errors and outcome.resolution.counts()["people_new"] == 3
    assert _state() == before


def test_roles_seat_people_on_the_schools_running_plan(county):
    _import(county, roster_workbook(people=False))
    plan = PlanFactory(school=Organisation.objects.get(code="ql"), title="方案", year=2026)
    outcome = _import(county, roster_workbook())
    assert not outcome.errors, _messages(outcome)
    seat = LeadingGroupMember.objects.get(plan=plan, user__username="ql_wang")
    assert seat.role == "leader"


def test_a_role_without_a_plan_is_a_warning(county):
    outcome = _import(county, roster_workbook())
    assert any("还没有进行中的实施方案" in p.message and not p.is_error for p in outcome.problems)


@pytest.mark.parametrize(
    ("schools", "people", "where", "message"),
    [
        (
            [[1, "ql", "青龙小学", None, None, "小学"], [2, "ql", "青龙二小", None, None, "小学"]],
            False,
            "学校名单|4|B",
            "与第 3 行重复",
        ),
        (None, [[1, "zz", "王五", None, None, None, None]], "教职工|3|", "学校代码“zz”不存在"),
        (None, [[1, "ql", "王五", None, "12345", None, None]], "教职工|3|", "不是有效的手机号"),
        (
            None,
            [[1, "ql", "王五", "dup", None, None, None], [2, "hs", "赵六", "DUP", None, None, None]],
            "教职工|4|",
            "与第 3 行重复",
        ),
        (
            None,
            [[1, "ql", "王五", None, None, None, "组长"], [2, "ql", "赵六", None, None, None, "组长"]],
            "教职工|4|",
            "只能有一名组长",
        ),
        (
            None,
            [[1, "ql", "王五", None, "13900000011", None, None], [2, "hs", "王五", None, "13900000011", None, None]],
            "教职工|4|",
            "一个人只能属于一所学校",
        ),
        (None, [[1, "ql", "王五", "a_member", None, None, None]], "教职工|3|", "已被a学校"),
        ([[1, "ql", "青龙小学", None, "白沙镇中心学校", "小学"]], False, "学校名单|3|", "没有中心学校"),
        ([[1, "c", "冒名学校", None, None, "小学"]], False, "学校名单|3|", "已被其他单位"),
        ([[1, "xx", "新学校", None, None, "高中"]], False, "学校名单|3|", "无法识别的学段"),
    ],
)
def test_bad_rosters_are_refused_by_row_and_column_and_nothing_is_written(county, schools, people, where, message):
    before = _state()
    outcome = _import(county, roster_workbook(schools=schools, people=people))
    assert not outcome.written
    found = [m for m in _messages(outcome) if m.startswith(where) and message in m]
    assert found, _messages(outcome)
    assert found[0].split("|")[2]  # a column is named
    assert _state() == before


def test_an_empty_sheet_is_a_problem(county):
    outcome = _import(county, roster_workbook(schools=[], people=[]))
    assert any("没有任何学校" in m for m in _messages(outcome))
    assert any("没有任何人员" in m for m in _messages(outcome))


def test_a_hostile_file_is_refused(county):
    with pytest.raises(WorkbookRefused):
        _import(county, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)


@pytest.mark.parametrize("who", ["other_bureau_user", "inspector", "centre_head"])
def test_only_the_countys_admin_imports_a_roster(county, who):
    before = _state()
    with pytest.raises(NotAllowed):
        _import(county, roster_workbook(), actor=getattr(county, who))
    assert _state() == before


def test_the_passwords_workbook_lists_the_new_accounts(county):
    outcome = _import(county, roster_workbook())
    book = load_workbook(roster.passwords_workbook(outcome.passwords).save(), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1] == ("学校", "姓名", "用户名", "初始密码")
    assert {r[2] for r in rows[2:]} == {"ql_wang", "李老师", "hs_zhao"}


def test_a_new_account_signs_in_with_its_initial_password_and_is_rehashed(county, client):
    outcome = _import(county, roster_workbook())
    username, password = outcome.passwords[0][2], outcome.passwords[0][3]
    assert User.objects.get(username=username).password.startswith("pbkdf2_sha256_initial$")
    assert client.post("/accounts/login/", {"username": username, "password": password}).status_code == 302
    assert not User.objects.get(username=username).password.startswith("pbkdf2_sha256_initial$")


def test_a_merged_school_cell_repeats_the_school_above(county):
    _import(county, roster_workbook())
    assert set(User.objects.filter(organisation__code="ql").values_list("full_name", flat=True)) == {"王校长", "李老师"}
    assert User.objects.get(username="hs_zhao").organisation.code == "hs"


def test_namesakes_without_usernames_are_matched_again_on_reimport(county):
    data = roster_workbook(
        people=[[1, "ql", "王五", None, None, "教师", None], [2, "ql", "王五", None, None, "校医", None]]
    )
    _import(county, data)
    assert sorted(User.objects.filter(full_name="王五").values_list("username", "position")) == [
        ("王五", "教师"),
        ("王五2", "校医"),
    ]
    again = _import(county, data)
    assert not again.errors and not again.resolution.changes_anything
    assert User.objects.filter(full_name="王五").count() == 2
