"""Long unbroken titles (Latin and Chinese) never widen a page: a task, the plan, the gate and both
dashboards at a desktop (1366×900) and a phone (390×844) size, and the bell's dropdown truncates.

The inbox (workflows/inbox.html) is not walked here: its phone layout is another change's.
"""

from __future__ import annotations

import pytest

from notifications.models import Notification
from notifications.services import notify
from orgs.models import Organisation
from plans.models import Measure, Plan, Stage
from tasks.models import Task
from tests.conftest import browser_login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LATIN = "Implementation" * 14  # 196 characters, no break opportunity
CHINESE = "义务教育优质均衡发展实施方案推进落实" * 11  # 198 characters, no spaces or punctuation

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def lengthen(county, first: str, second: str) -> None:
    """Every title the pages show, as long as its field allows, alternating the two kinds."""
    a = county.a
    Plan.objects.filter(pk=a.plan.pk).update(title=first)
    Plan.objects.filter(pk=county.b.plan.pk).update(title=second)
    Organisation.objects.filter(pk=a.school.pk).update(name=second[:100])
    Organisation.objects.filter(pk=county.b.school.pk).update(name=first[:100])
    Stage.objects.filter(plan=a.plan, order=1).update(name=first[:50])
    Measure.objects.filter(pk=a.measure.pk).update(title=second)
    Task.objects.filter(pk=a.tasks[0].pk).update(title=first, description=second)
    Task.objects.filter(pk=a.tasks[1].pk).update(title=second)
    Task.objects.filter(pk=a.tasks[2].pk).update(title=first)
    for user in (a.leader, county.bureau_admin):
        notify(recipients=[user], kind=Notification.Kind.NUDGE, text=f"请尽快办理“{first}”和“{second}”。")


def assert_fits(page, where: str) -> None:
    page.wait_for_load_state("load")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{where}: the page scrolls sideways ({width[0]} > {width[1]} px)"


def assert_bell_truncates(page, where: str) -> None:
    page.click("#notif-bell")
    page.wait_for_selector(".notif-item-text")
    fits = page.evaluate(
        """() => {
          const panel = document.querySelector('#notif-panel');
          const text = document.querySelector('.notif-item-text');
          const box = panel.getBoundingClientRect();
          const bell = document.querySelector('#notif-bell').getBoundingClientRect();
          return [panel.scrollWidth <= panel.clientWidth, box.right <= window.innerWidth, box.left >= 0,
                  box.top >= bell.bottom - 1,
                  text.getBoundingClientRect().height <= 3 * parseFloat(getComputedStyle(text).lineHeight) + 1];
        }"""
    )
    assert all(fits), f"{where}: the bell's dropdown does not truncate its lines ({fits})"
    page.click("#notif-bell")  # the bell, not covered by its own panel, closes it
    page.wait_for_selector("#notif-panel", state="hidden")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("first, second", [(LATIN, CHINESE), (CHINESE, LATIN)], ids=["latin-first", "chinese-first"])
def test_long_titles_never_widen_a_page(browser_page, county, viewport, first, second):
    lengthen(county, first, second)
    a = county.a
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])
    browser_login(page, a.leader.username, PASSWORD)
    for where, url in (
        ("task", f"/tasks/{a.tasks[0].pk}/"),
        ("plan", f"/plans/{a.plan.pk}/"),
        ("gate", f"/workflows/stages/{a.plan.stages.get(order=1).pk}/"),
        ("school dashboard", f"/dashboards/plans/{a.plan.pk}/"),
    ):
        page.goto(url)
        assert_fits(page, f"{where} at {viewport}")
    assert_bell_truncates(page, viewport)
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto("/dashboards/county/")
    assert_fits(page, f"county dashboard at {viewport}")


CONTRAST = """() => {
  const rgb = (text) => (text.match(/rgba?\\([^)]*\\)/g) || []).map((c) => c.match(/[\\d.]+/g).map(Number))
    .filter((c) => c.length < 4 || c[3] > 0);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const worst = [];
  document.querySelectorAll('.progress, .dbar').forEach((bar) => {
    const label = bar.querySelector('.progress-label, .dbar-label');
    const fill = bar.querySelector('.progress-bar, .dbar-fill');
    if (!label || !fill) return;
    const ink = rgb(getComputedStyle(label).color)[0];
    const grounds = [fill, bar].flatMap((el) => {
      const style = getComputedStyle(el);
      return rgb(style.backgroundColor + ' ' + style.backgroundImage);
    });
    grounds.forEach((ground) => worst.push(ratio(ink, ground)));
  });
  return worst.length ? Math.min(...worst) : null;
}"""


def test_percentage_labels_stay_readable_on_the_bar_fill(browser_page, county):
    a = county.a
    Task.objects.filter(pk__in=[a.tasks[0].pk, a.tasks[1].pk]).update(status=Task.Status.CLOSED)
    page = browser_page
    browser_login(page, a.leader.username, PASSWORD)
    for url in (f"/plans/{a.plan.pk}/", f"/dashboards/plans/{a.plan.pk}/"):
        page.goto(url)
        worst = page.evaluate(CONTRAST)
        assert worst is not None, f"{url}: no progress bar found"
        assert worst >= 4.5, f"{url}: a percentage label has a contrast of {worst:.2f}:1 on its bar"
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_selector("#id_username")
    browser_login(page, county.bureau_admin.username, PASSWORD)
    page.goto("/dashboards/county/")
    assert page.evaluate(CONTRAST) >= 4.5


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_bulk_assignment_message_is_seen_where_the_page_lands(browser_page, county, viewport):
    from plans.services import measure_create
    from tasks.services import task_create

    a = county.a
    stage = a.plan.stages.get(order=1)
    for i in range(12):  # a long first measure, so the second one is far down the page
        task_create(actor=None, measure=a.measure, title=f"准备工作第 {i + 1} 项", assignee=a.member)
    second = measure_create(actor=None, stage=stage, title="开展调研评估")
    tasks = [task_create(actor=None, measure=second, title=f"调研任务 {i}") for i in (1, 2)]
    page = browser_page
    page.set_viewport_size(VIEWPORTS[viewport])
    browser_login(page, a.leader.username, PASSWORD)
    page.goto(f"/plans/{a.plan.pk}/")
    block = f"#measure-{second.pk}"
    for task in tasks:
        page.check(f"{block} input[name=tasks][value='{task.pk}']")
    page.select_option(f"{block} select[name=target]", f"user:{a.member2.pk}")
    page.click(f"{block} button[type=submit]")
    page.wait_for_url(f"**/plans/{a.plan.pk}/#measure-{second.pk}")
    page.wait_for_selector(".message-success")
    page.wait_for_timeout(300)
    seen = page.evaluate(
        f"""() => {{
          const bar = document.querySelector('.topbar').getBoundingClientRect();
          const msg = document.querySelector('.message-success').getBoundingClientRect();
          const head = document.querySelector('{block} h3').getBoundingClientRect();
          return [window.scrollY > 0, msg.top >= bar.bottom - 1, msg.bottom <= window.innerHeight,
                  head.top >= bar.bottom - 1, head.bottom <= window.innerHeight];
        }}"""
    )
    assert all(seen), f"{viewport}: message or measure hidden ({seen})"
    assert "已分派 2 项任务" in page.inner_text(block)



def test_table_columns_stay_readable_on_a_phone(browser_page, county):
    """On a phone a table in a scrolling wrapper keeps its first column readable (several
    characters a line) and scrolls sideways inside the wrapper, never the page. Before, the
    acceptance overview squeezed school names to one Chinese character a line."""
    page = browser_page
    page.set_viewport_size(VIEWPORTS["phone"])
    browser_login(page, county.bureau_admin.username, PASSWORD)
    for url in ("/acceptance/", "/history/"):
        page.goto(url)
        assert_fits(page, url)
        width = page.evaluate(
            "(() => { const td = document.querySelector('.table-wrap > .table td'); "
            "return td ? td.getBoundingClientRect().width : null; })()"
        )
        if url == "/acceptance/":
            assert width is not None, "the overview lists the county's schools"
        if width is not None:
            # 9em of 16px, less rounding: room for several characters a line.
            assert width >= 130, f"{url}: the first column is squeezed to {width:.0f} px"
