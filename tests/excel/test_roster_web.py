"""The roster import pages: upload, dry run, one-time confirm answered with the passwords workbook."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from orgs.models import Organisation, User
from tests.excel.roster_fixtures import roster_workbook


def _upload(client, data=None):
    file = SimpleUploadedFile("名单.xlsx", data or roster_workbook())
    return client.post("/excel/roster/", {"file": file})


def test_upload_preview_confirm_and_passwords_once(client, county):
    client.force_login(county.bureau_admin)
    response = _upload(client)
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "青龙小学" in preview and "李老师" in preview and "roster-confirm-form" in preview
    assert not Organisation.objects.filter(code="ql").exists()  # a dry run
    confirm = response["Location"] + "confirm/"
    done = client.post(confirm)
    # Post/Redirect/Get: the confirmation answers with a redirect to a page that offers the xlsx.
    assert done.status_code == 302 and "/excel/roster/done/" in done["Location"]
    page = client.get(done["Location"])
    assert page["Cache-Control"] == "private, no-store" and "roster-passwords-form" in page.content.decode()
    download = client.post(done["Location"] + "passwords.xlsx")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True))
    users = {r[2]: r[3] for r in rows[2:]}
    assert User.objects.get(username="ql_wang").check_password(users["ql_wang"])
    # Refreshing the page writes nothing and no longer offers the passwords; a second download
    # gets a message instead of the file.
    again = client.get(done["Location"]).content.decode()
    assert "roster-passwords-gone" in again and "roster-passwords-form" not in again
    second = client.post(done["Location"] + "passwords.xlsx", follow=True)
    assert "已下载过" in second.content.decode()
    assert not second["Content-Type"].startswith("application/vnd.openxmlformats")
    # One time: the token is gone; nothing is written twice.
    assert client.post(confirm).status_code == 404
    assert User.objects.filter(organisation__code="ql").count() == 2


def test_the_passwords_page_belongs_to_the_admins_sign_in(client, county):
    client.force_login(county.bureau_admin)
    done = client.post(_upload(client)["Location"] + "confirm/")["Location"]
    client.force_login(county.other_bureau_user)  # another session, even of an admin
    assert "roster-passwords-form" not in client.get(done).content.decode()
    response = client.post(done + "passwords.xlsx")
    assert not response["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(county.a.leader)
    assert client.get(done).status_code == 404


def test_errors_show_by_row_and_block_the_confirm(client, county):
    client.force_login(county.bureau_admin)
    response = _upload(client, roster_workbook(people=[[1, "zz", "王五", None, None, None, None]]))
    page = client.get(response["Location"]).content.decode()
    assert "学校代码“zz”不存在" in page and "roster-confirm-form" not in page
    client.post(response["Location"] + "confirm/")
    assert not Organisation.objects.filter(code="ql").exists()


def test_a_hostile_upload_is_refused_on_the_form(client, county):
    client.force_login(county.bureau_admin)
    body = _upload(client, b"not,an,xlsx").content.decode()
    assert "文件被拒绝" in body


def test_only_bureau_admins_reach_the_roster_pages(client, county):
    for user in (county.a.leader, county.inspector, county.centre_head):
        client.force_login(user)
        assert client.get("/excel/roster/").status_code == 404
        assert _upload(client).status_code == 404
    assert not Organisation.objects.filter(code="ql").exists()


def test_another_users_token_is_not_found(client, county):
    client.force_login(county.bureau_admin)
    location = _upload(client)["Location"]
    client.force_login(county.other_bureau_user)
    assert client.get(location).status_code == 404
    assert client.post(location + "confirm/").status_code == 404
