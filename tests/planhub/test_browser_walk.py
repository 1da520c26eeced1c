"""The day-to-day walk (issue 15, "Done means"): as the member, the office, the principal (组长)
and the bureau, at a desktop (1366×900) and a phone (390×844), with ~200-character unbroken Latin
and Chinese titles on the plan, its measure and its tasks: the inbox, a task, the plan page, the
stage gate and both dashboards never scroll sideways.

Set UX_SHOTS=/some/dir to keep a full-page screenshot of every step (to look at them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tasks.models import Task
from tests.conftest import browser_login
from tests.factories import PASSWORD
from tests.planhub.test_browser_layout import CHINESE, LATIN, VIEWPORTS, assert_fits, lengthen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def walk(county) -> list[tuple[str, object, list[tuple[str, str]]]]:
    """(role, user, [(page name, url)]) in the order a demo would show them."""
    a = county.a
    gate = a.plan.stages.get(order=1).pk
    return [
        ("member", a.member, [("inbox", "/tasks/inbox/"), ("task", f"/tasks/{a.tasks[0].pk}/")]),
        (
            "office",
            a.office,
            [("inbox", "/tasks/inbox/"), ("plan", f"/plans/{a.plan.pk}/"), ("task", f"/tasks/{a.tasks[2].pk}/")],
        ),
        (
            "principal",
            a.leader,
            [
                ("inbox", "/tasks/inbox/"),
                ("gate", f"/workflows/stages/{gate}/"),
                ("plan", f"/plans/{a.plan.pk}/"),
                ("school dashboard", f"/dashboards/plans/{a.plan.pk}/"),
            ],
        ),
        (
            "bureau",
            county.bureau_admin,
            [
                ("county dashboard", "/dashboards/county/"),
                ("school dashboard", f"/dashboards/plans/{a.plan.pk}/"),
                ("plan", f"/plans/{a.plan.pk}/"),
            ],
        ),
    ]


# Narrowest width (px) of a table cell that carries a title (a link or the small secondary line):
# about seven Chinese characters, so a long title wraps into lines a person can read.
READABLE = 100

NARROW_TITLE_CELLS = """(least) => [...document.querySelectorAll('.table-wrap > .table td')]
  .filter((td) => td.querySelector('a:not(.button)') || td.classList.contains('small'))
  .filter((td) => td.textContent.trim().length > 20)
  .map((td) => Math.round(td.getBoundingClientRect().width))
  .filter((width) => width < least)"""


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_walk_never_scrolls_sideways(browser_page, county, viewport):
    # given long titles of both kinds on every level, the member's tasks among them
    lengthen(county, LATIN, CHINESE)
    Task.objects.filter(pk=county.a.tasks[3].pk).update(title=CHINESE)
    shots = Path(os.environ["UX_SHOTS"]) if os.environ.get("UX_SHOTS") else None
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])
    walked = []
    for role, user, steps in walk(county):
        page.context.clear_cookies()
        browser_login(page, user.username, PASSWORD)
        for where, url in steps:
            # when each page of the role's day is opened
            page.goto(url)
            assert page.locator("h1").count() >= 1, f"{role} {where}: not a page ({page.url})"
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{viewport}-{role}-{where.replace(' ', '-')}.png"), full_page=True)
            # then it fits the window's width
            assert_fits(page, f"{where} as {role} at {viewport}")
            # and a table squeezed onto a phone scrolls inside its wrapper rather than stack titles
            assert page.evaluate(NARROW_TITLE_CELLS, READABLE) == [], (
                f"{where} as {role} at {viewport}: title cells too narrow"
            )
            walked.append((role, where))
    assert len(walked) == 12
