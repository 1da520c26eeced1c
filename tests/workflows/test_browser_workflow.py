"""The whole loop clicked in Chromium: submit with a file, return, resubmit, close, sign the gate."""

from __future__ import annotations

import pytest

from plans.models import Stage
from tasks import services
from tasks.models import Evidence, Task
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.workflow_helpers import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logout(page):
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")


def test_submit_return_resubmit_close_and_sign(browser_page, county):
    a = county.a
    page = browser_page
    # The other tasks of the stage are done already.
    services.task_submit(task=a.tasks[1], actor=a.member2)
    services.task_close(task=a.tasks[1], actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="由上级统一印发")
    task = a.tasks[0]
    task_url = f"/tasks/{task.pk}/"

    browser_login(page, a.member.username, PASSWORD)
    page.goto(task_url)
    page.fill("#id_note", "文件已印发，见附件")
    page.set_input_files("#id_files", files=[{"name": "成立文件.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector(".message-success")
    assert "已提交审核" in page.inner_text(".messages")
    assert "成立文件.pdf" in page.inner_text("#evidence")
    logout(page)

    browser_login(page, a.office.username, PASSWORD)
    page.goto(task_url)
    page.fill("#id_return_reason", "缺少盖章页")
    page.click("#return-form button[type=submit]")
    page.wait_for_selector(".message-success")
    assert "缺少盖章页" in page.inner_text("main")
    logout(page)

    browser_login(page, a.member.username, PASSWORD)
    page.goto("/tasks/inbox/")
    page.click(f"#inbox-todo a[href='{task_url}']")
    assert "缺少盖章页" in page.inner_text(".callout-danger")
    page.set_input_files("#id_files", files=[{"name": "盖章页.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#submit-form button[type=submit]")
    page.wait_for_selector(".message-success")
    logout(page)

    browser_login(page, a.office.username, PASSWORD)
    page.goto("/tasks/inbox/")
    page.click(f"#inbox-review a[href='{task_url}']")
    page.click("#close-task")
    page.wait_for_selector(".message-success")
    assert "已完成" in page.inner_text("main")
    logout(page)

    browser_login(page, a.leader.username, PASSWORD)
    page.goto("/tasks/inbox/")
    page.click("#gates a")
    assert page.is_enabled("#sign-gate")
    page.once("dialog", lambda dialog: dialog.accept())  # signing asks first (data-confirm)
    page.click("#sign-gate")
    page.wait_for_selector(".message-success")
    assert "已签署" in page.inner_text(".messages")

    task.refresh_from_db()
    assert task.status == Task.Status.CLOSED
    assert Evidence.objects.filter(task=task).count() == 2
    assert a.plan.stages.get(order=1).status == Stage.Status.COMPLETED
    assert a.plan.stages.get(order=2).status == Stage.Status.OPEN
