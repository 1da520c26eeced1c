"""The gate page in Chromium: a button the server disabled stays disabled after the page's script
runs; signing asks first (cancel changes nothing) and keeps the opinion typed."""

from __future__ import annotations

import pytest

from plans.models import Stage
from tasks import services
from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_server_disabled_sign_button_stays_disabled(browser_page, county):
    a = county.a
    stage = a.plan.stages.get(order=1)  # three open tasks: the gate has blockers
    page = browser_page
    browser_login(page, a.leader.username, PASSWORD)
    page.goto(f"/workflows/stages/{stage.pk}/")
    page.wait_for_selector("#gate-blockers")
    page.wait_for_load_state("load")
    page.wait_for_timeout(200)  # pageshow has run
    # The DOM property, not Playwright's is_disabled (which also counts aria-disabled).
    assert page.evaluate("document.querySelector('#sign-gate').disabled") is True


def test_signing_asks_first_and_keeps_the_opinion(browser_page, county):
    a = county.a
    services.task_submit(task=a.tasks[0], actor=a.member)
    services.task_close(task=a.tasks[0], actor=a.office)
    services.task_submit(task=a.tasks[1], actor=a.member2)
    services.task_close(task=a.tasks[1], actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="由上级统一印发")
    stage = a.plan.stages.get(order=1)
    page = browser_page
    browser_login(page, a.leader.username, PASSWORD)
    page.goto(f"/workflows/stages/{stage.pk}/")
    assert "已豁免" in page.inner_text("#gate-waived")
    page.fill("#id_opinion", "准备充分，同意进入实施阶段。")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("#sign-gate")
    page.wait_for_timeout(300)
    assert questions and "确定签署" in questions[0]
    assert Stage.objects.get(pk=stage.pk).status == Stage.Status.OPEN
    assert page.is_enabled("#sign-gate")  # a cancelled confirmation leaves the button usable

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#sign-gate")
    page.wait_for_selector(".message-success")
    stage.refresh_from_db()
    assert stage.status == Stage.Status.COMPLETED
    assert stage.completion_opinion == "准备充分，同意进入实施阶段。"
