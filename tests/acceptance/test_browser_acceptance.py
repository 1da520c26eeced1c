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
    page.fill("#apply-note", "自评合格,申请验收")
    page.click("#apply-button")
    page.wait_for_selector(".message-success")
    assert "验收中" in page.inner_text("#plan-status")
    shot(page, "applied-desktop")
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACCEPTANCE
