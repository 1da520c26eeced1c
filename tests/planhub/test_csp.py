"""The Content Security Policy (issue 13, point 4): on every HTML page, no inline script without the
nonce, no inline style or event-handler attributes in the templates, violations logged."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in header.split(";")) if d}


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/notifications/", "/excel/", "/no-such-page/"])
def test_every_html_page_carries_the_policy(county, path):
    client = Client()
    client.force_login(county.bureau_admin)
    response = client.get(path)
    assert response["Content-Type"].startswith("text/html")
    rules = policy(response)
    assert rules["default-src"] == ["'self'"] and rules["style-src"] == ["'self'"]
    assert rules["frame-ancestors"] == ["'none'"] and rules["object-src"] == ["'none'"]
    assert rules["report-uri"] == ["/csp-report/"]
    assert "'self'" in rules["script-src"]
    assert not any("unsafe" in s or s == "*" or s.startswith("http") for v in rules.values() for s in v)


def test_an_inline_script_runs_only_with_the_requests_nonce(county):
    client = Client()
    client.force_login(county.bureau_admin)
    response = client.get("/excel/import/")
    assert response.status_code == 200
    nonces = re.findall(r'<script nonce="([^"]+)">', response.content.decode())
    assert nonces and f"'nonce-{nonces[0]}'" in policy(response)["script-src"]
    again = client.get("/excel/import/")
    assert re.findall(r'<script nonce="([^"]+)">', again.content.decode()) != nonces


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)(?![^>]*type=\"application/json\")[^>]*>"), "inline script"),
    (re.compile(r"\sstyle=\""), "style attribute"),
    (re.compile(r"\son[a-z]+=\""), "event-handler attribute"),
    (re.compile(r"<style\b(?![^>]*\bnonce=)"), "style element"),
]


def test_no_template_holds_what_the_policy_refuses():
    found = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for pattern, what in INLINE:
                if pattern.search(text):
                    found.append(f"{path.relative_to(ROOT)}: {what}")
    assert found == []


def test_a_violation_report_is_logged_and_answered_204(caplog):
    report = {"csp-report": {"document-uri": "http://x/", "violated-directive": "script-src", "blocked-uri": "inline"}}
    with caplog.at_level(logging.WARNING, logger="planhub.csp"):
        response = Client().post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert any("script-src" in r.getMessage() for r in caplog.records if r.name == "planhub.csp")


def test_an_oversized_or_broken_report_is_not_parsed(caplog):
    with caplog.at_level(logging.WARNING, logger="planhub.csp"):
        assert Client().post("/csp-report/", "{" * 40000, content_type="application/csp-report").status_code == 204
        assert Client().post("/csp-report/", "nope", content_type="application/csp-report").status_code == 204
    assert [r.getMessage() for r in caplog.records if r.name == "planhub.csp"] == [
        "CSP violation report unreadable (0 bytes)",
        "CSP violation report unreadable (4 bytes)",
    ]
    assert Client().get("/csp-report/").status_code == 405


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_walkthrough_of_every_role_reports_no_violation(browser_page, county, caplog):
    """Each role signs in and opens the main pages; the browser reports no violation of the policy."""
    from tests.conftest import browser_login

    page = browser_page
    a = county.a
    stage = a.plan.stages.order_by("order").first()
    pages = [
        "/",
        "/tasks/inbox/",
        "/dashboards/",
        "/dashboards/county/",
        f"/plans/{a.plan.pk}/",
        f"/dashboards/plans/{a.plan.pk}/",
        f"/tasks/{a.tasks[0].pk}/",
        "/notifications/",
        "/excel/",
        "/excel/import/",
        "/accounts/sessions/",
        f"/workflows/stages/{stage.pk}/",
        # The pages of the acceptance, history and county set-up features.
        "/acceptance/",
        f"/acceptance/plans/{a.plan.pk}/",
        "/history/",
        f"/history/plans/{a.plan.pk}/",
        "/orgs/",
        "/orgs/me/",
        f"/plans/{a.plan.pk}/leading-group/",
        f"/plans/{a.plan.pk}/edit/",
        f"/tasks/{a.tasks[0].pk}/edit/",
    ]
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy event: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    roles = [a.member, a.leader, a.office, county.bureau_admin, county.inspector, county.centre_head]
    with caplog.at_level(logging.WARNING, logger="planhub.csp"):
        for user in roles:
            page.context.clear_cookies()
            browser_login(page, user.username, PASSWORD)
            page.wait_for_url("**/")
            for path in pages:
                response = page.goto(path)
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
                page.wait_for_load_state("load")
                page.wait_for_timeout(50)
                if os.environ.get("SCREENSHOTS") and path in ("/dashboards/county/", f"/dashboards/plans/{a.plan.pk}/"):
                    name = f"{user.username}-{path.strip('/').replace('/', '-')}"
                    page.screenshot(path=os.path.join(os.environ["SCREENSHOTS"], f"{name}.png"), full_page=True)
            assert violations == [], f"{user.username}: {violations}"
    assert page.locator("body").count() == 1
    assert not [r for r in caplog.records if r.name == "planhub.csp"]
