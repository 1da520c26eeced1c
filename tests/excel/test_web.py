"""The web import: upload → dry-run preview (what would be created, every problem) → one-time
confirm that survives double clicks and stale pages; and the template pages."""

from __future__ import annotations

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from audit.models import AuditEntry
from excel import services
from excel.models import WorkbookImport
from plans.models import Plan, PlanTemplate, TemplateIssue
from tasks.models import Task
from tests.excel.test_import import snapshot, workbook_for
from tests.excel_fixtures import messy_plan_workbook, simple_workbook
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def upload(client, data: bytes, **fields):
    payload = {"file": SimpleUploadedFile("方案.xlsx", data), "kind": "new_plan", "title": "网页导入", "year": 2026}
    payload.update(fields)
    return client.post(reverse("excel:upload"), payload)


def test_nav_link_and_index(client, county):
    body = login(client, county.a.member).get(reverse("home")).content.decode()
    assert reverse("excel:index") in body
    page = client.get(reverse("excel:index")).content.decode()
    assert "上传 Excel 文件" not in page  # a member may export, not import
    assert reverse("excel:plan_progress", args=[county.a.plan.pk]) in page
    assert reverse("excel:plan_progress", args=[county.b.plan.pk]) not in page


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_cannot_open_the_upload_page(client, county, who):
    assert login(client, getattr(county.a, who)).get(reverse("excel:upload")).status_code == 403


def test_office_is_offered_only_its_own_plans(client, county):
    page = login(client, county.a.office).get(reverse("excel:upload")).content.decode()
    assert f'value="{county.a.plan.pk}"' in page and f'value="{county.b.plan.pk}"' not in page
    assert 'value="new_plan"' not in page


def test_preview_then_confirm_imports_once(client, county):
    login(client, county.bureau_admin)
    response = upload(client, workbook_for(county), school=county.a.school.pk)
    row = WorkbookImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("excel:preview", args=[row.token])
    assert row.status == WorkbookImport.Status.PREVIEWED and not Plan.objects.filter(title="网页导入").exists()
    page = client.get(response["Location"]).content.decode()
    for text in ("试导入预览", "确认导入", "成立工作领导小组", "印发文件", "校舍达标", "生均图书", "待分派任务 2 个"):
        assert text in page, text
    before_tasks = Task.objects.count()
    confirm_url = reverse("excel:confirm", args=[row.token])
    first = client.post(confirm_url)
    plan = Plan.objects.get(title="网页导入")
    assert first.status_code == 302 and first["Location"] == reverse("plans:plan_detail", args=[plan.pk])
    assert Task.objects.count() == before_tasks + 6
    # A double click, or the confirm button of a stale preview page: nothing more is written.
    second = client.post(confirm_url, follow=True)
    assert "未重复导入" in second.content.decode()
    assert Plan.objects.filter(title="网页导入").count() == 1 and Task.objects.count() == before_tasks + 6
    row.refresh_from_db()
    assert (row.status, row.plan) == (WorkbookImport.Status.IMPORTED, plan)
    assert AuditEntry.objects.filter(action="plans.plan.imported", plan_id=plan.pk).count() == 1
    assert "已导入" in client.get(reverse("excel:preview", args=[row.token])).content.decode()


def test_preview_lists_every_problem_and_offers_no_confirm(client, county):
    login(client, county.bureau_admin)
    data = simple_workbook(
        [
            ["准备阶段", "措施", "任务一", "成员", "查无此人", None, None, "2026-13-01", None],
            [None, None, "任务二", None, None, None, None, None, "很多"],
        ]
    )
    response = upload(client, data, school=county.a.school.pk)
    row = WorkbookImport.objects.get()
    assert row.status == WorkbookImport.Status.FAILED
    page = client.get(response["Location"]).content.decode()
    assert "确认导入" not in page and "不能导入" in page
    for text in ("H(截止日期)", "I(权重)", "2026-13-01"):
        assert text in page, text
    before = snapshot()
    client.post(reverse("excel:confirm", args=[row.token]))
    assert snapshot() == before


def test_a_preview_gone_stale_is_refused_at_confirm(client, county):
    """Between preview and confirm someone created a plan of the same title: nothing is written."""
    login(client, county.bureau_admin)
    upload(client, workbook_for(county), school=county.a.school.pk)
    row = WorkbookImport.objects.get()
    Plan.objects.create(school=county.a.school, title="网页导入", year=2026)
    before = snapshot()
    response = client.post(reverse("excel:confirm", args=[row.token]), follow=True)
    assert "已有 2026 年度的“网页导入”" in response.content.decode()
    assert snapshot() == before
    row.refresh_from_db()
    assert row.status == WorkbookImport.Status.FAILED


def test_someone_elses_token_is_404(client, county):
    login(client, county.bureau_admin)
    upload(client, workbook_for(county), school=county.a.school.pk)
    row = WorkbookImport.objects.get()
    login(client, county.a.office)
    assert client.get(reverse("excel:preview", args=[row.token])).status_code == 404
    assert client.post(reverse("excel:confirm", args=[row.token])).status_code == 404
    assert not Plan.objects.filter(title="网页导入").exists()


def test_bureau_admin_cannot_pick_another_countys_school(client, county):
    login(client, county.bureau_admin)
    response = upload(client, workbook_for(county), school=county.c.school.pk)
    assert response.status_code == 400 and not WorkbookImport.objects.exists()


def test_office_imports_into_its_plan_from_the_web(client, county):
    login(client, county.a.office)
    data = simple_workbook([["实施阶段", "新措施", "新任务", "办公室", None, None, None, None, None]])
    response = upload(client, data, kind="into_plan", plan=county.a.plan.pk)
    row = WorkbookImport.objects.get()
    client.post(reverse("excel:confirm", args=[row.token]))
    assert Task.objects.get(title="新任务").plan == county.a.plan
    assert response.status_code == 302


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_confirmations_import_once(county):
    """Two requests confirming the same token at once (a double click): exactly one plan."""
    import io

    row = services.workbook_preview(
        actor=county.bureau_admin,
        fileobj=io.BytesIO(workbook_for(county)),
        source_name="x.xlsx",
        target=services.target_of(WorkbookImport(kind="new_plan", school=county.a.school, title="并发导入", year=2026)),
    )
    barrier = threading.Barrier(2)
    results, errors = [], []

    def confirm():
        try:
            barrier.wait()
            results.append(services.workbook_import_confirm(actor=county.bureau_admin, token=row.token))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Plan.objects.filter(title="并发导入").count() == 1
    assert Task.objects.filter(plan__title="并发导入").count() == 6
    # The loser either waited and found the import done, or was refused: never a second plan.
    assert len(results) + len(errors) == 2 and results
    assert sum(1 for r in results if getattr(r, "just_imported", False)) == 1


# --- templates ------------------------------------------------------------------------------------


def make_template(client, county) -> PlanTemplate:
    login(client, county.bureau_admin)
    upload(client, messy_plan_workbook(), kind="template", title="县模板", year=2026)
    row = WorkbookImport.objects.get(kind="template")
    response = client.post(reverse("excel:confirm", args=[row.token]))
    template = PlanTemplate.objects.get()
    assert response["Location"] == reverse("excel:template", args=[template.pk])
    return template


def test_template_import_and_issue_to_schools(client, county):
    template = make_template(client, county)
    assert (template.bureau, template.title, template.year) == (county.bureau, "县模板", 2026)
    page = client.get(reverse("excel:template", args=[template.pk])).content.decode()
    assert "a学校" in page and "b学校" in page and "c学校" not in page
    schools = [county.a.school.pk, county.b.school.pk]
    preview = client.post(reverse("excel:template", args=[template.pk]), {"schools": schools, "action": "preview"})
    assert "确认下发" in preview.content.decode()
    response = client.post(reverse("excel:template", args=[template.pk]), {"schools": schools, "action": "issue"})
    assert response.status_code == 302
    issued = {i.school: i.plan for i in TemplateIssue.objects.select_related("school", "plan")}
    assert set(issued) == {county.a.school, county.b.school}
    for school_ns in (county.a, county.b):
        plan = issued[school_ns.school]
        assert plan.title == "县模板"
        # Role slots map to each school's own leading group; dates are kept.
        task = Task.objects.get(plan=plan, title="召开领导小组第一次会议")
        assert task.assignee == school_ns.leader
        assert Task.objects.get(plan=plan, title="印发领导小组成立文件").assignee == school_ns.office
        assert str(plan.stages.get(order=1).starts_on) == "2026-03-01"
    # Issuing again (double click): refused, nothing new.
    before = snapshot()
    again = client.post(
        reverse("excel:template", args=[template.pk]), {"schools": schools, "action": "issue"}, follow=True
    )
    assert "已下发" in again.content.decode()
    assert snapshot() == before


def test_issue_is_all_or_nothing(client, county):
    template = make_template(client, county)
    Plan.objects.create(school=county.b.school, title="县模板", year=2026)  # b already has one
    before = snapshot()
    response = client.post(
        reverse("excel:template", args=[template.pk]),
        {"schools": [county.a.school.pk, county.b.school.pk], "action": "issue"},
    )
    assert response.status_code == 200 and "没有学校收到方案" in response.content.decode()
    assert snapshot() == before and not TemplateIssue.objects.exists()


def test_other_county_cannot_see_or_issue_the_template(client, county):
    template = make_template(client, county)
    login(client, county.other_bureau_user)
    assert client.get(reverse("excel:template", args=[template.pk])).status_code == 404
    assert (
        client.post(
            reverse("excel:template", args=[template.pk]), {"schools": [county.c.school.pk], "action": "issue"}
        ).status_code
        == 404
    )
    assert not TemplateIssue.objects.exists()


def test_service_refuses_to_issue_outside_the_bureau(county):
    from core.errors import NotAllowed
    from excel.spec import WorkbookSpec

    template = PlanTemplate.objects.create(bureau=county.bureau, title="模板", year=2026, spec=WorkbookSpec().to_json())
    with pytest.raises(NotAllowed):
        services.template_issue(actor=county.bureau_admin, template=template, schools=[county.c.school])
