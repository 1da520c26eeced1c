"""我的待办 on a phone (issue 15, point 6): at 390×844 every entry is a card (title, plan and school,
badge, due date, action) and nothing scrolls sideways; at 1366×900 it is still a table."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from tasks import services
from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_LATIN = "Implementation" * 12  # one unbroken word of 168 characters
LONG_CHINESE = "全面推进义务教育优质均衡发展县创建工作之学校办学条件标准化建设专项行动任务" * 3

NO_SIDEWAYS_SCROLL = """() => {
  const doc = document.documentElement;
  const wraps = Array.from(document.querySelectorAll('.table-wrap'));
  return doc.scrollWidth <= doc.clientWidth && wraps.every(w => w.scrollWidth <= w.clientWidth + 1);
}"""


def _long_tasks(a):
    today = timezone.localdate()
    services.task_create(
        actor=None, measure=a.measure, title=LONG_LATIN, assignee=a.member, due_on=today + datetime.timedelta(days=3)
    )
    services.task_create(
        actor=None, measure=a.measure, title=LONG_CHINESE, assignee=a.member, due_on=today - datetime.timedelta(days=1)
    )
    services.task_submit(task=a.tasks[1], actor=a.member2)  # something for the office to review


@pytest.mark.parametrize("who", ["member", "office"])
def test_inbox_is_cards_on_a_phone(browser_page, county, who):
    a = county.a
    _long_tasks(a)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    browser_login(page, getattr(a, who).username, PASSWORD)
    page.goto("/tasks/inbox/")
    rows = page.locator(".inbox-table tr.inbox-entry")
    assert rows.count() >= (3 if who == "member" else 1)
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    cards = page.evaluate(
        """() => Array.from(document.querySelectorAll('.inbox-table tr.inbox-entry')).map(tr => {
          const box = tr.getBoundingClientRect();
          return {display: getComputedStyle(tr).display, left: box.left, right: box.right,
                  title: !!tr.querySelector('.inbox-title a'), badge: !!tr.querySelector('.badge'),
                  due: !!tr.querySelector('.inbox-due'), action: !!tr.querySelector('.inbox-action a.button'),
                  thead: getComputedStyle(tr.closest('table').querySelector('thead')).position};
        })"""
    )
    for card in cards:
        assert card["display"] == "block", card
        assert card["left"] >= 0 and card["right"] <= 390, card
        assert card["title"] and card["badge"] and card["due"] and card["action"], card
        assert card["thead"] == "absolute", card  # the header row is for screen readers only
    if who == "member":
        assert LONG_LATIN in page.inner_text("#inbox-todo") and a.plan.school.name in page.inner_text("#inbox-todo")


def test_inbox_is_still_a_table_on_a_desktop(browser_page, county):
    a = county.a
    _long_tasks(a)
    page = browser_page
    page.set_viewport_size({"width": 1366, "height": 900})
    browser_login(page, a.member.username, PASSWORD)
    page.goto("/tasks/inbox/")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#inbox-todo tr.inbox-entry')).display") == "table-row"
    )
    assert (
        page.evaluate("getComputedStyle(document.querySelector('#inbox-todo thead')).display") == "table-header-group"
    )
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
