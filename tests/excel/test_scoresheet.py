"""The inspectors' 评分表 workbook, through the web pages without a browser: download, fill in with
openpyxl, dry run, confirm (once), ratings and audit rows written through the rating service; and
every bad input refused with a Chinese message and nothing written."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from acceptance.models import FinalRating, InspectorRating
from acceptance.services import (
    application_submit,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
    self_rating_set,
)
from audit.models import AuditEntry
from excel import scoresheet
from excel.models import WorkbookImport
from tests import excel_fixtures as fx
from tests.acceptance.helpers import add_form, applied, finish_all_stages, rate_all
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
DATE = datetime.date(2026, 12, 1)
ID_COL = scoresheet._ID_INDEX + 1
TIER_COL = scoresheet._TIER_INDEX + 1
REMARK_COL = scoresheet._REMARK_INDEX + 1


@pytest.fixture
def inspecting(county):
    """School A applied with four criteria, the last claimed not applicable; a team of two."""
    a = county.a
    criteria = add_form(a.plan)
    rate_all(a, criteria[:3])
    self_rating_set(actor=a.office, criterion=criteria[3], tier=None, not_applicable=True, na_reason="无寄宿生")
    finish_all_stages(a)
    application = application_submit(actor=a.leader, plan=a.plan, note="申请验收")
    member = UserFactory(username="inspector2", organisation=county.office, bureau_role="inspector")
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        members=[member], inspection_date=DATE)
    return criteria, application, member


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def download(client, application) -> bytes:
    response = client.get(reverse("excel:scoresheet", args=[application.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def fill(data: bytes, entries: dict[int, tuple[object, str]], *, edit=None) -> bytes:
    """Fill the tier and remark of the rows whose hidden id is a key of ``entries``."""
    book = load_workbook(io.BytesIO(data))
    sheet = book[scoresheet.SHEET]
    for row in range(3, sheet.max_row + 1):
        criterion = sheet.cell(row=row, column=ID_COL).value
        if criterion in entries:
            tier, remark = entries[criterion]
            sheet.cell(row=row, column=TIER_COL).value = tier
            sheet.cell(row=row, column=REMARK_COL).value = remark
    if edit:
        edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, application, data: bytes, follow: bool = True):
    url = reverse("excel:scoresheet_upload", args=[application.pk])
    return client.post(url, {"file": SimpleUploadedFile("评分表.xlsx", data)}, follow=follow)


def rated_audit() -> int:
    return AuditEntry.objects.filter(action="acceptance.inspection.rated").count()


def last_import() -> WorkbookImport:
    return WorkbookImport.objects.filter(kind=WorkbookImport.Kind.SCORESHEET).latest("id")


def test_the_sheet_has_one_locked_row_per_applicable_criterion_and_signed_ids(client, county, inspecting):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    page = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    assert reverse("excel:scoresheet", args=[application.pk]) in page
    assert reverse("excel:scoresheet_upload", args=[application.pk]) in page
    book = load_workbook(io.BytesIO(download(client, application)))
    sheet = book[scoresheet.SHEET]
    header = [c.value for c in sheet[2]]
    assert header == [name for name, _ in scoresheet.COLUMNS]
    assert "评定档次" in header and "评语" in header and "1档 完全达到" in header and "学校自评" in header
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[ID_COL - 1] for r in rows] == [c.pk for c in criteria]
    assert rows[0][3] == 25 and rows[0][4:8] == (25, 20, 12.5, 0)  # points and the four tiers' points
    assert rows[0][8].startswith("1档 完全达到") and rows[3][8] == "申报不适用：无寄宿生"
    assert all(r[TIER_COL - 1] is None and r[REMARK_COL - 1] is None for r in rows)
    assert sheet.protection.sheet and sheet.column_dimensions["L"].hidden
    assert not sheet.cell(row=3, column=TIER_COL).protection.locked
    assert sheet.cell(row=3, column=3).protection.locked
    meta = book[scoresheet.META_SHEET]
    assert meta.sheet_state == "veryHidden"
    values = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert values["plan"] == application.plan_id and values["application"] == application.pk


def test_download_fill_dry_run_confirm_once(client, county, inspecting, django_capture_on_commit_callbacks):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    data = fill(download(client, application), {
        criteria[0].pk: ("完全达到", "材料齐全"),
        criteria[1].pk: (2, ""),
        criteria[2].pk: ("3档", "=HYPERLINK(\"x\")"),
    })
    audit_before = AuditEntry.objects.count()
    # Dry run: the preview lists what would be saved; nothing is written.
    response = upload(client, application, data)
    body = response.content.decode()
    assert response.status_code == 200 and "评分表试导入预览" in body and "确认保存评分" in body
    assert 'id="changed-count">3<' in body
    assert not InspectorRating.objects.exists() and AuditEntry.objects.count() == audit_before
    token = last_import().token
    confirm = reverse("excel:scoresheet_confirm", args=[token])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, follow=True)
    assert "已保存评分表中的评分" in response.content.decode()
    ratings = {r.criterion_id: r for r in InspectorRating.objects.filter(inspector=county.inspector)}
    assert {pk: r.tier for pk, r in ratings.items()} == {criteria[0].pk: 1, criteria[1].pk: 2, criteria[2].pk: 3}
    assert ratings[criteria[0].pk].remark == "材料齐全"
    assert ratings[criteria[2].pk].remark == "=HYPERLINK(\"x\")"  # kept as text, never evaluated
    assert rated_audit() == 3
    imported = AuditEntry.objects.get(action="excel.scoresheet.imported")
    assert imported.actor == county.inspector and imported.data["ratings"] == 3
    assert last_import().status == WorkbookImport.Status.IMPORTED
    # A double click or a refresh of the confirm: nothing written twice.
    audit_after = AuditEntry.objects.count()
    response = client.post(confirm, follow=True)
    assert "已经保存过" in response.content.decode()
    assert AuditEntry.objects.count() == audit_after and InspectorRating.objects.count() == 3
    # Uploading the same sheet again changes nothing it already holds.
    body = upload(client, application, data).content.decode()
    assert 'id="changed-count">0<' in body


def test_an_upload_is_all_or_nothing_and_refuses_a_rating_changed_since_the_dry_run(client, county, inspecting):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    data = fill(download(client, application), {criteria[0].pk: (1, ""), criteria[1].pk: (2, "")})
    upload(client, application, data)
    token = last_import().token
    # Meanwhile the inspector rates criterion 2 on the page.
    inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[1], tier=4, version=0)
    audit_before = AuditEntry.objects.count()
    response = client.post(reverse("excel:scoresheet_confirm", args=[token]), follow=True)
    body = response.content.decode()
    assert "未写入任何评分" in body and "已被他人修改，请刷新" in body
    assert list(InspectorRating.objects.values_list("criterion_id", "tier")) == [(criteria[1].pk, 4)]
    assert AuditEntry.objects.count() == audit_before
    assert last_import().status == WorkbookImport.Status.FAILED


@pytest.mark.parametrize("value", [5, 0, "-1", "1.5", "很好", "2档 完全达到", "=1+1"])
def test_a_tier_outside_1_to_4_is_refused_by_row_and_column(client, county, inspecting, value):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    data = fill(download(client, application), {criteria[0].pk: (1, ""), criteria[1].pk: (value, "")})
    body = upload(client, application, data).content.decode()
    assert "不能保存" in body and "评定档次" in body and "<td>4</td>" in body
    assert "无效" in body or "不要填写公式" in body
    row = last_import()
    assert row.status == WorkbookImport.Status.FAILED
    response = client.post(reverse("excel:scoresheet_confirm", args=[row.token]), follow=True)
    assert "未写入任何评分" in response.content.decode()
    assert not InspectorRating.objects.exists() and rated_audit() == 0


def test_tier_words_and_full_width_digits_are_read():
    assert [scoresheet.parse_tier(v) for v in ("１", "2档", "第3档", "未达到", "1档 完全达到", 4.0)] == [1, 2, 3, 4, 1, 4]


def test_a_rating_on_an_undecided_not_applicable_claim_is_refused(client, county, inspecting):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    sheet = download(client, application)
    body = upload(client, application, fill(sheet, {criteria[3].pk: (1, "")})).content.decode()
    assert "学校申报该项不适用" in body and "不能保存" in body
    assert not InspectorRating.objects.exists()
    # Once the team leader overrules the claim, the same sheet is accepted.
    na_claim_decide(actor=county.inspector, application=application, criterion=criteria[3], confirm=False)
    upload(client, application, fill(sheet, {criteria[3].pk: (1, "")}))
    client.post(reverse("excel:scoresheet_confirm", args=[last_import().token]))
    assert InspectorRating.objects.get().criterion_id == criteria[3].pk


def settle_and_record(county, application, criteria):
    na_claim_decide(actor=county.inspector, application=application, criterion=criteria[3], confirm=True)
    for criterion in criteria[:3]:
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=1)
    inspection_result_record(actor=county.inspector, application=application)


def test_ratings_after_the_result_was_recorded_are_refused(client, county, inspecting):
    criteria, application, member = inspecting
    login(client, member)
    data = fill(download(client, application), {criteria[0].pk: (2, "")})
    upload(client, application, data)
    token = last_import().token
    settle_and_record(county, application, criteria)
    # A dry run made before the result: its confirmation is refused.
    response = client.post(reverse("excel:scoresheet_confirm", args=[token]), follow=True)
    assert "公示中" in response.content.decode() and "未写入任何评分" in response.content.decode()
    # A new upload is refused outright.
    response = upload(client, application, data)
    assert response.status_code == 400 and "不能再上传评分" in response.content.decode()
    assert not InspectorRating.objects.filter(inspector=member).exists()


def test_a_sheet_of_another_plan_or_round_or_with_edited_ids_is_refused(client, county, inspecting):
    criteria, application, _ = inspecting
    other_criteria, other = applied(county.b)
    inspection_team_set(actor=county.bureau_admin, application=other, leader=county.inspector, inspection_date=DATE)
    login(client, county.inspector)
    foreign = fill(download(client, other), {other_criteria[0].pk: (1, "")})
    response = upload(client, application, foreign)
    assert response.status_code == 400 and "另一份方案的评分表" in response.content.decode()

    def retarget(book):
        meta = book[scoresheet.META_SHEET]
        for row in meta.iter_rows():
            if row[0].value == "application":
                row[1].value = other.pk
            if row[0].value == "plan":
                row[1].value = other.plan_id

    own = download(client, application)
    response = upload(client, application, fill(own, {criteria[0].pk: (1, "")}, edit=retarget))
    assert response.status_code == 400 and "识别信息被修改过" in response.content.decode()

    def foreign_id(book):
        book[scoresheet.SHEET].cell(row=3, column=ID_COL).value = other_criteria[0].pk

    body = upload(client, application, fill(own, {criteria[0].pk: (1, "")}, edit=foreign_id)).content.decode()
    assert f"要点编号 {other_criteria[0].pk} 不在本次验收的评估表上" in body and "不能保存" in body
    assert not InspectorRating.objects.exists() and rated_audit() == 0


def _plain_workbook() -> bytes:
    book = Workbook()
    book.active.title = scoresheet.SHEET
    book.active.append([name for name, _ in scoresheet.COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda sheet: fx.billion_laughs(sheet, hide_past_prologue=False), "不安全的 XML"),
        (lambda sheet: fx.billion_laughs(sheet), "无法读取该文件"),
        (lambda sheet: fx.zip_bomb(sheet), "压缩炸弹"),
        (lambda sheet: fx.csv_renamed(), "文本/CSV"),
        (lambda sheet: fx.fake_xls(), ".xls"),
        (lambda sheet: _plain_workbook(), "不是本系统导出的验收评分表"),
    ],
)
def test_hostile_or_foreign_files_are_refused_and_nothing_is_kept(client, county, inspecting, make, message):
    criteria, application, _ = inspecting
    login(client, county.inspector)
    response = upload(client, application, make(download(client, application)))
    assert response.status_code == 400 and "文件被拒绝" in response.content.decode()
    assert message in response.content.decode()
    assert not WorkbookImport.objects.exists() and not InspectorRating.objects.exists()


def test_only_the_team_uses_the_sheet(client, county, inspecting):
    criteria, application, member = inspecting
    url = reverse("excel:scoresheet", args=[application.pk])
    upload_url = reverse("excel:scoresheet_upload", args=[application.pk])
    for user in (county.a.leader, county.a.office, county.bureau_admin):
        login(client, user)
        assert client.get(url).status_code == 403 and client.get(upload_url).status_code == 403
    for user in (county.other_bureau_user, county.b.leader):
        login(client, user)
        assert client.get(url).status_code == 404 and client.get(upload_url).status_code == 404
    # Another inspector's dry run is not found, let alone confirmed.
    login(client, county.inspector)
    upload(client, application, fill(download(client, application), {criteria[0].pk: (1, "")}))
    token = last_import().token
    login(client, member)
    assert client.get(reverse("excel:scoresheet_preview", args=[token])).status_code == 404
    assert client.post(reverse("excel:scoresheet_confirm", args=[token])).status_code == 404
    # Nor does the plan import's preview open a 评分表.
    assert client.get(reverse("excel:preview", args=[token])).status_code == 404
    assert not InspectorRating.objects.exists() and not FinalRating.objects.exists()
