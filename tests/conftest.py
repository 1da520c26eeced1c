from __future__ import annotations

import os
import shutil
from types import SimpleNamespace

import pytest

from orgs.models import Organisation
from tests.factories import OrganisationFactory, UserFactory, build_school

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session", autouse=True)
def _end_stray_connections(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions that threads of the ASGI tests (channels'
    sync-to-async workers, live servers) left open on it; PostgreSQL refuses to drop a database in use."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(scope="session", autouse=True)
def _flush_may_delete_audit_rows():
    """The transactional tests' teardown empties every table with `flush`; the audit trail's
    append-only triggers let it delete only inside audit_deletes_allowed (audit/maintenance.py)."""
    from django.core.management.commands import flush

    from audit.maintenance import audit_deletes_allowed

    original = flush.Command.handle

    def handle(self, *args, **options):
        with audit_deletes_allowed("test database flush"):
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture
def county(db):
    """Bureau (+ supervision office) → school A; bureau → centre school → school B; and a second county."""
    bureau = OrganisationFactory(code="bureau", name="示范县教育局", kind=Organisation.Kind.BUREAU)
    office = OrganisationFactory(code="dds", name="督导室", kind=Organisation.Kind.SUPERVISION, parent=bureau)
    centre = OrganisationFactory(code="centre", name="青石镇中心学校", kind=Organisation.Kind.CENTRE, parent=bureau,
                                 township="青石镇")
    a = build_school("a", bureau, township="城关镇")
    b = build_school("b", centre, township="青石镇")
    other_bureau = OrganisationFactory(code="bureau2", name="邻县教育局", kind=Organisation.Kind.BUREAU)
    c = build_school("c", other_bureau)
    return SimpleNamespace(
        bureau=bureau,
        office=office,
        centre=centre,
        a=SimpleNamespace(**a),
        b=SimpleNamespace(**b),
        c=SimpleNamespace(**c),
        bureau_admin=UserFactory(username="bureau_admin", organisation=bureau, bureau_role="admin", is_staff=True),
        inspector=UserFactory(username="inspector", organisation=office, bureau_role="inspector"),
        centre_head=UserFactory(username="centre_head", organisation=centre),
        other_bureau_user=UserFactory(username="bureau2_admin", organisation=other_bureau, bureau_role="admin"),
    )


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's Chromium: skip them plainly where it is missing, never in CI."""
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI requires Chromium at {CHROMIUM} for the browser tests.")
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: browser tests skipped (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "Chromium not found" in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"NOTE: {len(skipped)} browser test(s) SKIPPED because Chromium is not installed "
            f"(apt-get install chromium).",
            yellow=True,
            bold=True,
        )


@pytest.fixture
def browser_page(live_server):
    """A Playwright page in Debian's Chromium, against the live test server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes here
    # are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        context = browser.new_context(locale="zh-CN", base_url=live_server.url)
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            yield page
        finally:
            context.close()
            browser.close()
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def browser_login(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
