"""In the browser, the issue's afternoon: the bureau admin imports a roster for a new school and
downloads the initial passwords; the school's plan arrives (here through the plan service, the
plan import has its own browser tests); the principal signs in, must change the initial password,
and forms the leading group; a new teacher signs in, changes the initial password and sees a task."""

from __future__ import annotations

import os

import pytest
from openpyxl import load_workbook

from orgs.models import Organisation, User
from plans import services as plan_services
from tasks.services import task_create
from tests.conftest import browser_login
from tests.excel.roster_fixtures import roster_workbook
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("PLANHUB_SHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})


def _first_login(page, username, password, new_password):
    browser_login(page, username, password)
    page.wait_for_selector("#forced-change")
    page.fill("#id_old_password", password)
    page.fill("#id_new_password1", new_password)
    page.fill("#id_new_password2", new_password)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=密码已修改")


def test_a_new_school_from_a_roster_to_a_task(browser_page, county, tmp_path):
    page = browser_page
    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(roster_workbook())
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto("/orgs/")
    page.click("text=导入名单")
    page.set_input_files("#id_file", str(roster))
    page.click("main button[type=submit]")
    page.wait_for_selector("#roster-confirm-form")
    _shot(page, "roster-preview")
    page.click("#roster-confirm-form button[type=submit]")
    page.wait_for_selector("#roster-passwords-form")  # Post/Redirect/Get: a page offers the xlsx once
    with page.expect_download() as download_info:
        page.click("#roster-passwords-form button[type=submit]")
    sheet = tmp_path / "passwords.xlsx"
    download_info.value.save_as(sheet)
    rows = list(load_workbook(sheet, read_only=True).active.iter_rows(values_only=True))[2:]
    passwords = {r[2]: r[3] for r in rows}
    assert set(passwords) == {"ql_wang", "李老师", "hs_zhao"}
    page.click("text=退出")

    school = Organisation.objects.get(code="ql")
    plan = plan_services.plan_create(actor=county.bureau_admin, school=school, title="青龙小学实施方案", year=2026)
    plan_services.seat_set(
        actor=county.bureau_admin, plan=plan, user=User.objects.get(username="ql_wang"), role="leader"
    )

    _first_login(page, "ql_wang", passwords["ql_wang"], "Qinglong-2026!")
    page.goto(f"/plans/{plan.pk}/leading-group/")
    page.select_option("#id_user", label="李老师(教师·李老师)")
    page.select_option("#id_role", label="成员")
    page.click("#add-seat-form button[type=submit]")
    page.wait_for_selector("#seat-table tr[data-user=李老师]")
    page.click("text=退出")

    measure = plan_services.measure_create(actor=None, stage=plan.stages.get(order=1), title="成立工作领导小组")
    task_create(actor=None, measure=measure, title="整理教师花名册", assignee=User.objects.get(username="李老师"))

    _first_login(page, "李老师", passwords["李老师"], "Lilaoshi-2026!")
    page.goto("/")
    page.wait_for_selector("#my-tasks")
    assert "整理教师花名册" in page.inner_text("#my-tasks")
