"""The archive page, filing through it, the catalogues (xlsx, PDF) and the streamed zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from archives import services
from archives.bundle import MISSING_NAME
from archives.catalogues import catalogue_rows, heading_lines
from archives.models import Filing
from archives.selectors import archive_tree
from audit.chain import checkpoint_make
from plans.models import Plan
from tests.archives.helpers import days_ago, item, opened
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def filed(county):
    a = county.a
    scheme, files = opened(a)
    for f, part in ((files[0], "逐项自评表"), (files[1], "学籍档案"), (files[0], "学校平面图")):
        services.filing_create(actor=a.office, plan=a.plan, item=item(scheme, part), source="task", source_id=f.pk,
                               title="", document_date=days_ago(1))
    return scheme, files


def test_the_office_files_through_the_page_and_sees_completeness_change(county, client):
    a = county.a
    scheme, files = opened(a)
    login(client, a.office)
    page = client.get(reverse("archives:archive", args=[a.plan.pk]))
    assert page.status_code == 200 and 'id="filing-form"' in page.text and page.context["summary"].complete == 0
    assert len(page.context["unfiled"]) == 2
    response = client.post(reverse("archives:filing_create", args=[a.plan.pk]), {
        "source": f"task:{files[0].pk}", "item": item(scheme, "逐项自评表").pk, "title": "自评表",
        "document_date": days_ago(5).isoformat()}, follow=True)
    assert "已归档" in response.text and response.context["summary"].complete == 1
    assert len(response.context["unfiled"]) == 1


def test_a_future_date_through_the_page_gets_a_chinese_message(county, client):
    a = county.a
    scheme, files = opened(a)
    login(client, a.office)
    for bad in ("2999-01-01", "not-a-date"):
        response = client.post(reverse("archives:filing_create", args=[a.plan.pk]), {
            "source": f"task:{files[0].pk}", "item": item(scheme, "逐项自评表").pk, "document_date": bad},
            follow=True)
        assert ("不能晚于今天" in response.text) or ("有效的成文日期" in response.text)
    assert not Filing.objects.exists()


def test_members_see_the_archive_but_no_filing_form(county, client):
    opened(county.a)
    login(client, county.a.member)
    page = client.get(reverse("archives:archive", args=[county.a.plan.pk]))
    assert page.status_code == 200 and 'id="filing-form"' not in page.text


def test_the_plan_page_links_the_archive(county, client):
    login(client, county.a.office)
    page = client.get(reverse("plans:plan_detail", args=[county.a.plan.pk]))
    assert reverse("archives:archive", args=[county.a.plan.pk]) in page.text


def test_catalogue_workbook_has_the_three_catalogues_with_stable_numbers(county, client):
    filed(county)
    login(client, county.bureau_admin)
    response = client.get(reverse("archives:catalogue", args=[county.a.plan.pk, "xlsx"]))
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    assert wb.sheetnames == ["总目录", "分卷目录", "卷内文件目录"]
    rows = [r for r in wb["卷内文件目录"].iter_rows(values_only=True) if r and r[0]]
    numbers = [r[0] for r in rows if isinstance(r[0], str) and r[0][:1].isdigit()]
    assert numbers == ["1-1-1", "1-6-1", "2-1-1"]
    general = [r for r in wb["总目录"].iter_rows(values_only=True) if r and isinstance(r[0], int)]
    assert [r[0] for r in general] == [1, 2, 3] and sum(r[5] for r in general) == 3


def test_catalogue_pdf_has_labels_and_says_which_checkpoint(county, client):
    filed(county)
    login(client, county.a.office)
    response = client.get(reverse("archives:catalogue", args=[county.a.plan.pk, "pdf"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["X-Archive-Font"] == "STSong-Light"


def test_the_catalogue_prints_the_latest_signed_checkpoint(county):
    filed(county)
    plan = Plan.objects.select_related("school").get(pk=county.a.plan.pk)
    assert "暂无" in heading_lines(archive_tree(plan))[2]
    checkpoint = checkpoint_make()
    assert checkpoint is not None
    line = heading_lines(archive_tree(plan))[2]
    assert f"#{checkpoint.seq}" in line and checkpoint.head_hash in line
    assert len(list(catalogue_rows(archive_tree(plan))["卷内文件目录"])) == 4


def _zip(client, plan):
    response = client.get(reverse("archives:zip", args=[plan.pk]))
    assert response.status_code == 200 and response.streaming
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_is_laid_out_as_volumes_and_items(county, client):
    filed(county)
    login(client, county.a.office)
    archive = _zip(client, county.a.plan)
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[0] == "均衡发展档案/目录.xlsx"
    assert any(n.startswith("均衡发展档案/01 自评自查卷/1-1 ") and "/1-1-1 逐项自评表.pdf" in n for n in names)
    assert any(n.startswith("均衡发展档案/02 学校自存卷/2-1 ") for n in names)
    assert MISSING_NAME not in " ".join(names)


def test_a_file_missing_on_disk_is_named_and_the_zip_completes(county, client):
    _, files = filed(county)
    default_storage.delete(files[1].file.name)
    login(client, county.a.office)
    archive = _zip(client, county.a.plan)
    assert archive.testzip() is None
    missing = [n for n in archive.namelist() if n.endswith(MISSING_NAME)]
    assert missing
    text = archive.read(missing[0]).decode("utf-8")
    assert "2-1-1" in text and "学籍档案2026" in text
    assert sum(1 for n in archive.namelist() if n.endswith(".pdf")) == 2


def test_an_accepted_plans_page_says_frozen_and_offers_no_filing(county, client):
    filed(county)
    Plan.objects.filter(pk=county.a.plan.pk).update(status=Plan.Status.COMPLETED)
    login(client, county.a.office)
    page = client.get(reverse("archives:archive", args=[county.a.plan.pk]))
    assert 'id="archive-frozen"' in page.text and 'id="filing-form"' not in page.text


def test_the_bureau_sets_a_scheme_for_a_plan_from_its_page(county, client):
    services.default_scheme_install()
    login(client, county.bureau_admin)
    page = client.get(reverse("archives:archive", args=[county.b.plan.pk]))
    assert 'id="archive-not-opened"' in page.text
    default = page.context["scheme_choices"][0]
    client.post(reverse("archives:plan_scheme_set", args=[county.b.plan.pk]), {"source": default.pk})
    assert Plan.objects.get(pk=county.b.plan.pk).archive_scheme.copied_from_id == default.pk
    response = client.get(reverse("archives:scheme", args=[Plan.objects.get(pk=county.b.plan.pk).archive_scheme.pk]))
    assert response.status_code == 200 and 'action="/archives/schemes/' in response.text


def test_under_asgi_the_zip_streams_from_an_async_iterator(county):
    """Django buffers a sync iterator whole under ASGI; the view must hand ASGI an async one."""
    import asyncio

    from django.test import AsyncRequestFactory

    from archives.views import archive_download

    filed(county)
    request = AsyncRequestFactory().get(reverse("archives:zip", args=[county.a.plan.pk]))
    request.user = county.a.office
    response = archive_download(request, county.a.plan.pk)
    assert response.is_async

    async def drain():
        return b"".join([chunk async for chunk in response.streaming_content])

    body = asyncio.run(drain())
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None


def test_archive_rows_render_read_only_in_the_admin(county, client):
    from django.contrib.auth import get_user_model

    filed(county)
    root = get_user_model().objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    for model in ("archivescheme", "archivecategory", "archivevolume", "requireditem", "filing", "gapreminder"):
        assert client.get(f"/admin/archives/{model}/").status_code == 200, model
    first = Filing.objects.first()
    assert client.get(f"/admin/archives/filing/{first.pk}/change/").status_code == 200
