"""One list of evidence types (issue 15, point 8): every page that takes an evidence file — task
evidence, a task's submission, an indicator's reading, a rectification — accepts the same types
with the same content check (core.uploads), and offers exactly that list (accept="" and the hint).

Archives take no uploads of their own: they file the evidence uploaded here."""

from __future__ import annotations

import datetime
import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from acceptance import services as acceptance_services
from acceptance.models import RectificationItem
from core.uploads import ACCEPT, ALLOWED, ALLOWED_LABEL, KIND_LABEL
from plans import services as plan_services
from plans.models import IndicatorReading
from tasks.models import Evidence, Task
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FILES = {
    "ofd": ("报告.ofd", b"PK\x03\x04" + b"\x00" * 200, True),
    "pdf": ("报告.pdf", b"%PDF-1.7\n" + b"0" * 200, True),
    "exe renamed .pdf": ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, False),
    "exe": ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, False),
}
REFUSALS = {
    "exe renamed .pdf": "文件“报告.pdf”的内容与其扩展名（.pdf）不符",
    "exe": f"不支持文件“setup.exe”的类型。允许的类型：{ALLOWED_LABEL}。",
}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _file(kind: str) -> SimpleUploadedFile:
    name, body, _ = FILES[kind]
    return SimpleUploadedFile(name, body, content_type="application/octet-stream")


# --- the entry points: each returns (the page with the form, post a file → response, stored count) ---


def task_evidence(client, county):
    task = Task.objects.get(pk=county.a.tasks[0].pk)
    login(client, county.a.member)
    page = reverse("tasks:task_detail", args=[task.pk])
    return (
        page,
        lambda f: client.post(reverse("tasks:evidence_upload", args=[task.pk]), {"file": f}, follow=True),
        lambda: Evidence.objects.filter(task=task).count(),
    )


def task_submission(client, county):
    task = Task.objects.get(pk=county.a.tasks[0].pk)
    login(client, county.a.member)
    url = reverse("tasks:task_act", args=[task.pk, "submit"])
    return (
        reverse("tasks:task_detail", args=[task.pk]),
        lambda f: client.post(url, {"version": task.version, "note": "已完成", "files": [f]}, follow=True),
        lambda: Evidence.objects.filter(task=task).count(),
    )


def indicator_reading(client, county):
    indicator = plan_services.indicator_create(
        actor=None, plan=county.a.plan, name="生均图书", unit="册", direction="ge", target=25
    )
    login(client, county.a.member)
    url = reverse("dashboards:indicator", args=[indicator.pk])
    data = {"value": "30", "measured_on": timezone.localdate().isoformat(), "note": ""}
    return (
        url,
        lambda f: client.post(url, {**data, "evidence": f}, follow=True),
        lambda: IndicatorReading.objects.filter(indicator=indicator).exclude(evidence="").count(),
    )


def rectification(client, county):
    a = county.a
    criteria, application = applied(a)
    acceptance_services.inspection_team_set(
        actor=county.bureau_admin,
        application=application,
        leader=county.inspector,
        members=[],
        inspection_date=datetime.date.today(),
    )
    for criterion in criteria:
        acceptance_services.final_rating_set(
            actor=county.inspector, application=application, criterion=criterion, tier=4, rectify=True
        )
    acceptance_services.inspection_result_record(actor=county.inspector, application=application)
    item = RectificationItem.objects.filter(plan=a.plan).order_by("pk").first()
    acceptance_services.rectification_assign(actor=a.office, item=item, owner=a.member, due_on=timezone.localdate())
    login(client, a.member)
    url = reverse("acceptance:item_submit", args=[item.pk])
    return (
        reverse("acceptance:plan_acceptance", args=[a.plan.pk]),
        lambda f: client.post(url, {"note": "已整改", "evidence": f}, follow=True),
        lambda: RectificationItem.objects.filter(pk=item.pk).exclude(evidence="").count(),
    )


ENTRY_POINTS = [task_evidence, task_submission, indicator_reading, rectification]


@pytest.mark.parametrize("kind", list(FILES))
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.__name__)
def test_every_entry_point_takes_and_refuses_the_same_files(client, county, entry, kind):
    # given an upload form; when a file is posted; then the same verdict and the same message everywhere
    _, post, stored = entry(client, county)
    before = stored()
    body = html.unescape(post(_file(kind)).content.decode())
    if FILES[kind][2]:
        assert stored() == before + 1
        assert "内容与其扩展名" not in body and "不支持文件" not in body
    else:
        assert stored() == before  # nothing written
        assert REFUSALS[kind] in body


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda e: e.__name__)
def test_every_upload_form_accepts_the_one_list(client, county, entry):
    page, _, _ = entry(client, county)
    body = html.unescape(client.get(page).content.decode())
    inputs = re.findall(r'<input type="file"[^>]*>', body)
    assert inputs, "no file input on the page"
    for tag in inputs:
        assert f'accept="{ACCEPT}"' in tag, tag


@pytest.mark.parametrize(
    "entry",
    ENTRY_POINTS,
    ids=lambda e: e.__name__,
)
def test_every_upload_form_names_the_one_list(client, county, entry):
    page, _, _ = entry(client, county)
    assert ALLOWED_LABEL in html.unescape(client.get(page).content.decode())


def test_the_label_names_every_allowed_type_and_nothing_else():
    assert set(KIND_LABEL) == set(ALLOWED)
    assert ALLOWED_LABEL.split("、") == list(dict.fromkeys(KIND_LABEL[e] for e in ALLOWED))
    assert "OFD" in ALLOWED_LABEL and ".ofd" in ACCEPT.split(",")
