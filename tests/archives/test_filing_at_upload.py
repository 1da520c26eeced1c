"""归档到 at upload time: task evidence, indicator evidence and rectification evidence are filed in
the same request as their upload, through tasks.extensions and ArchivesConfig.evidence_filing.
Bad input (an item of another scheme, a future date, a title too long) refuses the whole upload
with nothing written; nothing is offered when the archive is not opened, is frozen, or the user
may not file."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from acceptance.models import RectificationItem
from acceptance.services import final_rating_set, inspection_result_record, rectification_assign
from archives.models import Filing
from archives.services import archive_open, default_scheme_install
from audit.models import AuditEntry
from plans.models import IndicatorReading, Plan
from tasks.models import Evidence
from tests.acceptance.helpers import applied
from tests.archives.helpers import days_ago, item, opened
from tests.factories import PASSWORD
from tests.workflow_helpers import PDF

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def upload(name="学校平面图.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def post_evidence(client, task, **fields):
    return client.post(reverse("tasks:evidence_upload", args=[task.pk]), {"file": upload(), **fields}, follow=True)


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_the_office_files_task_evidence_while_uploading_it(client, county):
    a = county.a
    scheme, _ = opened(a)
    login(client, a.office)
    page = client.get(reverse("tasks:task_detail", args=[a.tasks[0].pk])).content.decode()
    assert 'name="archive_item"' in page and "归档到" in page
    target = item(scheme, "学校平面图")
    before = AuditEntry.objects.filter(action="archives.filing.created").count()

    response = post_evidence(client, a.tasks[0], archive_item=target.pk, archive_title="校园平面图（2026）",
                             archive_date=days_ago(3).isoformat())

    evidence = Evidence.objects.get(task=a.tasks[0], original_name="学校平面图.pdf")
    filing = Filing.objects.get(item=target)
    assert (filing.evidence_id, filing.title, filing.document_date) == (evidence.pk, "校园平面图（2026）", days_ago(3))
    assert filing.filed_by == a.office and filing.order == 1
    assert AuditEntry.objects.filter(action="archives.filing.created").count() == before + 1
    assert any("已归档到" in m for m in messages_of(response))


def test_no_item_chosen_uploads_only_and_a_blank_date_means_today(client, county):
    a = county.a
    scheme, _ = opened(a)
    login(client, a.office)
    post_evidence(client, a.tasks[0])
    assert Evidence.objects.filter(original_name="学校平面图.pdf").exists() and not Filing.objects.exists()
    post_evidence(client, a.tasks[0], archive_item=item(scheme, "逐项自评表").pk)
    filing = Filing.objects.get()
    assert filing.document_date == timezone.localdate() and filing.title == "学校平面图"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"archive_date": (datetime.date.today() + datetime.timedelta(days=1)).isoformat()}, "不能晚于今天"),
        ({"archive_date": "2026-13-40"}, "有效的成文日期"),
        ({"archive_title": "题" * 201}, "200"),
    ],
)
def test_bad_filing_input_refuses_the_whole_upload(client, county, fields, message):
    a = county.a
    scheme, _ = opened(a)
    evidence_before, audit_before = Evidence.objects.count(), AuditEntry.objects.count()
    login(client, a.office)
    response = post_evidence(client, a.tasks[0], archive_item=item(scheme, "学校平面图").pk, **fields)
    assert any(message in m for m in messages_of(response))
    assert Evidence.objects.count() == evidence_before and not Filing.objects.exists()
    assert AuditEntry.objects.count() == audit_before


def test_an_item_of_another_schools_archive_is_refused_with_nothing_written(client, county):
    a, b = county.a, county.b
    opened(a)
    other_scheme, _ = opened(b)
    evidence_before = Evidence.objects.count()
    login(client, a.office)
    response = post_evidence(client, a.tasks[0], archive_item=item(other_scheme, "学校平面图").pk)
    assert any("不属于本方案的档案" in m for m in messages_of(response))
    assert Evidence.objects.count() == evidence_before and not Filing.objects.exists()


def test_nothing_is_offered_before_the_archive_is_opened_or_once_it_is_frozen(client, county):
    a = county.a
    default_scheme_install()
    login(client, a.office)
    url = reverse("tasks:task_detail", args=[a.tasks[0].pk])
    assert 'name="archive_item"' not in client.get(url).content.decode()
    scheme = archive_open(actor=a.office, plan=a.plan)
    assert 'name="archive_item"' in client.get(url).content.decode()
    # Precondition shortcut: acceptance's own tests drive the loop to 验收合格 (COMPLETED).
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.COMPLETED)
    assert 'name="archive_item"' not in client.get(url).content.decode()
    # A forged post is refused too, and nothing is written.
    before = Evidence.objects.count()
    response = post_evidence(client, a.tasks[0], archive_item=item(scheme, "学校平面图").pk)
    assert Evidence.objects.count() == before and not Filing.objects.exists()
    assert messages_of(response)


def test_a_member_who_may_not_file_sees_no_choice_and_cannot_forge_one(client, county):
    a = county.a
    scheme, _ = opened(a)
    task = a.tasks[0]
    login(client, a.member)
    assert 'name="archive_item"' not in client.get(reverse("tasks:task_detail", args=[task.pk])).content.decode()
    before = Evidence.objects.count()
    response = post_evidence(client, task, archive_item=item(scheme, "学校平面图").pk)
    assert any("组长和办公室主任" in m for m in messages_of(response))
    assert Evidence.objects.count() == before and not Filing.objects.exists()


def test_a_refusal_after_the_upload_keeps_the_file_and_says_it_was_not_filed(client, county, monkeypatch):
    """The plan accepted between the check and the filing: the upload stays, unfiled, with a warning."""
    from archives import filing_at_upload

    a = county.a
    scheme, _ = opened(a)
    real = filing_at_upload.filing_create

    def accepted_meanwhile(**kwargs):
        Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.COMPLETED)
        return real(**kwargs)

    monkeypatch.setattr(filing_at_upload, "filing_create", accepted_meanwhile)
    login(client, a.office)
    response = post_evidence(client, a.tasks[0], archive_item=item(scheme, "学校平面图").pk)
    assert Evidence.objects.filter(original_name="学校平面图.pdf").exists() and not Filing.objects.exists()
    assert any("文件已上传，但未能归档" in m and "冻结" in m for m in messages_of(response))


def test_indicator_evidence_is_filed_when_reported(client, county):
    a = county.a
    scheme, _ = opened(a)
    login(client, a.office)
    url = reverse("dashboards:indicator", args=[a.indicator.pk])
    assert 'name="archive_item"' in client.get(url).content.decode()
    target = item(scheme, "图书目录")
    response = client.post(url, {"value": "31", "measured_on": days_ago(2).isoformat(), "note": "",
                                 "evidence": upload("图书台账.pdf"), "archive_item": target.pk}, follow=True)
    reading = IndicatorReading.objects.get(indicator=a.indicator, value=31)
    filing = Filing.objects.get(item=target)
    assert filing.reading_id == reading.pk and filing.source == "reading"
    assert any("已归档到" in m for m in messages_of(response))


def test_an_indicator_report_that_asks_to_file_without_a_file_is_refused_whole(client, county):
    a = county.a
    scheme, _ = opened(a)
    login(client, a.office)
    url = reverse("dashboards:indicator", args=[a.indicator.pk])
    before = IndicatorReading.objects.count()
    response = client.post(url, {"value": "31", "measured_on": days_ago(2).isoformat(),
                                 "archive_item": item(scheme, "图书目录").pk, "archive_title": "台账"})
    body = response.content.decode()
    assert response.status_code == 400 and "同时选择佐证材料" in body
    assert 'value="台账"' in body  # what was typed is shown again
    assert IndicatorReading.objects.count() == before and not Filing.objects.exists()


def test_rectification_evidence_is_filed_when_submitted(client, county):
    a = county.a
    scheme, _ = opened(a)
    criteria, application = applied(a)
    from acceptance.services import inspection_team_set

    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector, members=[],
                        inspection_date=timezone.localdate() + datetime.timedelta(days=3))
    for criterion, tier in zip(criteria, (1, 1, 4, 4), strict=True):
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=tier,
                         rectify=tier == 4)
    inspection_result_record(actor=county.inspector, application=application)
    fix = RectificationItem.objects.filter(plan=a.plan).order_by("pk").first()
    rectification_assign(actor=a.office, item=fix, owner=a.office, due_on=timezone.localdate())

    login(client, a.office)
    page = client.get(reverse("acceptance:plan_acceptance", args=[a.plan.pk])).content.decode()
    assert f'id="archive-item-{fix.pk}"' in page
    target = item(scheme, "逐项自评表")
    response = client.post(reverse("acceptance:item_submit", args=[fix.pk]), {
        "note": "已整改", "evidence": upload("整改报告.pdf"), "archive_item": target.pk,
        "archive_date": days_ago(1).isoformat()}, follow=True)
    fix.refresh_from_db()
    assert fix.status == "submitted"
    filing = Filing.objects.get(item=target)
    assert filing.rectification_id == fix.pk and filing.title == "整改报告"
    # Filed with the bytes' hash taken at upload, as task evidence is: the archive can be verified.
    assert len(fix.evidence_sha256) == 64 and filing.sha256 == fix.evidence_sha256
    assert any("已归档到" in m for m in messages_of(response))
