"""The demo county's archives: the accepted school's complete and frozen with its plan, the
rectifying school's partial, the implementing school's not opened; the overview shows each."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from archives.models import Filing
from archives.selectors import archive_tree
from demo.data import DEMO_PASSWORD
from plans.models import Plan

pytestmark = pytest.mark.django_db


def test_demo_archives_show_complete_partial_and_not_opened(client):
    call_command("seed_demo", quiet_logins=True)
    plans = {p.school.code: p for p in Plan.objects.select_related("school")}
    accepted, rectifying, implementing = (archive_tree(plans[c]) for c in ("sfx-syxx", "qsz-zx", "sfx-yz"))
    assert accepted.opened and accepted.summary().missing == 0 and accepted.summary().partial == 0
    assert rectifying.opened and rectifying.summary().complete > 0
    assert rectifying.summary().missing > 0 and rectifying.summary().partial > 0
    assert not implementing.opened
    # Every filed file is a real task evidence PDF of its own plan.
    for filing in Filing.objects.select_related("evidence__task"):
        assert filing.evidence.task.plan_id == filing.plan_id
    assert filing.evidence.file.open("rb").read(5) == b"%PDF-"

    assert client.login(username="jyj_admin", password=DEMO_PASSWORD)
    body = client.get(reverse("acceptance:overview")).content.decode()
    assert "已齐全 20/20" in body and "（未建档）" in body and "缺失 10" in body
    client.logout()
    assert client.login(username="qszx_office", password=DEMO_PASSWORD)
    page = client.get(reverse("archives:archive", args=[plans["qsz-zx"].pk])).content.decode()
    assert 'data-status="partial"' in page and 'data-status="missing"' in page and 'data-status="complete"' in page
