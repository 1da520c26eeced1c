"""自评 and 请验 clicked in Chromium: the office rates the last criteria, the leader applies."""

from __future__ import annotations

import os

import pytest

from acceptance.services import self_rating_set
from plans.models import Plan
from tests.acceptance.helpers import add_form, finish_all_stages
from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_self_assess_and_apply(browser_page, county):
    a = county.a
    page = browser_page
    criteria = add_form(a.plan)
    for criterion in criteria[:2]:
        self_rating_set(actor=a.office, criterion=criterion, tier=1, note="达到")
    finish_all_stages(a)
    url = f"/acceptance/plans/{a.plan.pk}/"

    browser_login(page, a.office.username, PASSWORD)
    page.goto(url)
    assert "2" in page.inner_text("#unrated-count")
    shot(page, "self-assessment-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click(f"#criterion-{criteria[2].pk} summary")
    shot(page, "self-assessment-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.check(f"#criterion-{criteria[2].pk} input[name=tier][value='2']")
    page.click(f"#criterion-{criteria[2].pk} button[type=submit]")
    page.wait_for_selector(".message-success")
    page.click(f"#criterion-{criteria[3].pk} summary")
    page.check(f"#criterion-{criteria[3].pk} input[name=not_applicable]")
    page.fill(f"#criterion-{criteria[3].pk} input[name=na_reason]", "无寄宿生,未设食堂")
    page.click(f"#criterion-{criteria[3].pk} button[type=submit]")
    page.wait_for_selector(".message-success")
    # 25 + 25 + 20 of 75 applicable points.
    assert "93.33" in page.inner_text("#self-score")
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")

    browser_login(page, a.leader.username, PASSWORD)
    page.goto(f"/plans/{a.plan.pk}/")
    page.click("#acceptance-link")
    # Too long a note: the form stops with the server's wording and keeps every character typed.
    page.fill("#apply-note", "很" * 1001)
    page.click("#apply-button")
    assert "最多 1000 个字，现有 1001 个字" in page.eval_on_selector("#apply-note", "e => e.validationMessage")
    assert page.input_value("#apply-note") == "很" * 1001
    assert Plan.objects.get(pk=a.plan.pk).status != Plan.Status.ACCEPTANCE
    page.fill("#apply-note", "自评合格,申请验收")
    page.click("#apply-button")
    page.wait_for_selector(".message-success")
    assert "验收中" in page.inner_text("#plan-status")
    shot(page, "applied-desktop")
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACCEPTANCE


def logout(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")


def test_inspect_fail_rectify_reinspect_pass_and_download_the_certificate(browser_page, county):
    import datetime

    from acceptance.models import Application, RectificationItem
    from acceptance.services import acceptance_finalise
    from tests.acceptance.helpers import applied
    from tests.workflow_helpers import PDF

    a = county.a
    page = browser_page
    criteria, application = applied(a)
    url = f"/acceptance/plans/{a.plan.pk}/"

    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto(url)
    page.select_option("#team-leader", str(county.inspector.pk))
    page.fill("#team-date", "2026-12-01")
    page.click("#team-form button[type=submit]")
    page.wait_for_selector(".message-success")
    logout(page)

    browser_login(page, county.inspector.username, PASSWORD)
    page.goto(url)
    page.click("#inspection-link")
    for criterion, tier in zip(criteria, (1, 1, 3, 4), strict=True):
        row = f"#row-{criterion.pk}"
        page.check(f"{row} form[action$='/final/'] input[name=tier][value='{tier}']")
        if tier > 2:
            page.check(f"{row} input[name=rectify]")
            page.fill(f"{row} form[action$='/final/'] input[name=remark]", "请补充佐证材料")
        page.click(f"{row} form[action$='/final/'] button[type=submit]")
        page.wait_for_selector(".message-success")
    shot(page, "inspection-desktop")
    page.click("#record-result")
    page.wait_for_selector(".message-success")
    assert "62.50" in page.inner_text("#final-score")
    logout(page)

    items = list(RectificationItem.objects.order_by("pk"))
    browser_login(page, a.office.username, PASSWORD)
    for item in items:
        page.goto(url)
        page.select_option(f"#owner-{item.pk}", str(a.member.pk))
        page.fill(f"#due-{item.pk}", datetime.date.today().isoformat())
        page.click(f"#rectification-{item.pk} form[action$='/assign/'] button")
        page.wait_for_selector(".message-success")
    logout(page)
    browser_login(page, a.member.username, PASSWORD)
    for item in items:
        page.goto(url)
        page.fill(f"#note-item-{item.pk}", "已补充")
        page.set_input_files(f"#file-item-{item.pk}", files=[{"name": "整改.pdf", "mimeType": "application/pdf", "buffer": PDF}])
        page.click(f"#rectification-{item.pk} form[action$='/submit/'] button")
        page.wait_for_selector(".message-success")
    logout(page)
    browser_login(page, a.office.username, PASSWORD)
    for item in items:
        page.goto(url)
        page.click(f"#rectification-{item.pk} button[value=close]")
        page.wait_for_selector(".message-success")
    shot(page, "rectification-desktop")
    logout(page)

    browser_login(page, a.leader.username, PASSWORD)
    page.goto(url)
    page.fill("#apply-note", "整改完毕,申请复验")
    page.click("#apply-button")
    page.wait_for_selector(".message-success")
    logout(page)

    second = Application.objects.get(plan=a.plan, round=2)
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto(url)
    page.select_option("#team-leader", str(county.inspector.pk))
    page.fill("#team-date", "2026-12-20")
    page.click("#team-form button[type=submit]")
    page.wait_for_selector(".message-success")
    logout(page)
    browser_login(page, county.inspector.username, PASSWORD)
    page.goto(f"/acceptance/applications/{second.pk}/inspection/")
    for criterion in criteria[2:]:
        row = f"#row-{criterion.pk}"
        page.check(f"{row} form[action$='/final/'] input[name=tier][value='1']")
        page.click(f"{row} form[action$='/final/'] button[type=submit]")
        page.wait_for_selector(".message-success")
    page.click("#record-result")
    page.wait_for_selector(".message-success")
    assert "公示中" in page.inner_text("#application-status")
    logout(page)

    second.refresh_from_db()
    acceptance_finalise(actor=None, application=second, today=second.notice_ends_on + datetime.timedelta(days=1))
    browser_login(page, a.leader.username, PASSWORD)
    page.goto(url)
    shot(page, "accepted-desktop")
    with page.expect_download() as info:
        page.click("#certificate-link")
    path = info.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_the_bureau_filters_the_overview(browser_page, county):
    from tests.acceptance.test_overview import fail

    page = browser_page
    fail(county, county.a)
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto("/acceptance/")
    assert page.locator("#overview-table tbody tr").count() == 2
    page.select_option("#f-state", "failed")
    page.click("#overview-filters button[type=submit]")
    page.wait_for_url("**state=failed**")
    assert page.locator("#overview-table tbody tr").count() == 1
    assert "整改中" in page.inner_text("#overview-table")
    shot(page, "overview-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/acceptance/")
    shot(page, "overview-phone")
    application = county.a.plan.applications.get()
    page.goto(f"/acceptance/applications/{application.pk}/inspection/")
    shot(page, "inspection-phone")
