"""The organisation and people pages: what the bureau admin and a centre school's admin see and do,
404 for everything outside their county or township, and one's own password and profile."""

from __future__ import annotations

import re

import pytest

from audit.models import AuditEntry
from orgs.models import Organisation, User
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def centre_admin(county):
    return UserFactory(username="centre_admin", organisation=county.centre, bureau_role="admin")


def _login(client, user):
    client.force_login(user)
    return client


def test_the_bureau_admin_sees_the_county_and_not_the_other(client, county):
    body = _login(client, county.bureau_admin).get("/orgs/").content.decode()
    assert "a学校" in body and "b学校" in body and "青石镇中心学校" in body and "新增学校" in body
    assert "c学校" not in body
    assert "单位与人员" in client.get("/").content.decode()


@pytest.mark.parametrize("who", ["a_leader", "inspector", "centre_head"])
def test_people_pages_are_not_there_for_others(client, county, who):
    user = county.a.leader if who == "a_leader" else getattr(county, who)
    _login(client, user)
    assert client.get("/orgs/").status_code == 404
    assert client.get(f"/orgs/{county.a.school.pk}/").status_code == 404
    assert "单位与人员" not in client.get("/").content.decode()


def test_creating_a_school_through_the_page(client, county):
    _login(client, county.bureau_admin)
    response = client.post(
        "/orgs/new/school/",
        {
            "code": "s9",
            "name": "九里小学",
            "parent": county.centre.pk,
            "township": "青石镇",
            "level": "primary",
            "address": "九里村",
        },
    )
    school = Organisation.objects.get(code="s9")
    assert response.status_code == 302 and response["Location"] == f"/orgs/{school.pk}/"
    assert (school.parent, school.level, school.kind) == (county.centre, "primary", "school")


def test_a_school_cannot_be_put_under_another_countys_bureau(client, county):
    _login(client, county.bureau_admin)
    response = client.post(
        "/orgs/new/school/",
        {"code": "s9", "name": "九里小学", "parent": county.other_bureau_user.organisation.pk, "level": "primary"},
    )
    assert response.status_code == 200 and not Organisation.objects.filter(code="s9").exists()


def test_a_taken_code_is_a_message_on_the_form(client, county):
    _login(client, county.bureau_admin)
    body = client.post(
        "/orgs/new/school/", {"code": "a", "name": "重名", "parent": county.bureau.pk, "level": "junior"}
    ).content.decode()
    assert "已被使用" in body


def test_editing_a_school(client, county):
    _login(client, county.bureau_admin)
    response = client.post(
        f"/orgs/{county.a.school.pk}/edit/",
        {"name": "城关一小", "parent": county.bureau.pk, "township": "城关镇", "level": "primary", "address": "东街"},
    )
    assert response.status_code == 302
    county.a.school.refresh_from_db()
    assert (county.a.school.name, county.a.school.address) == ("城关一小", "东街")


def test_adding_an_account_shows_its_password_once(client, county):
    _login(client, county.bureau_admin)
    posted = client.post(
        f"/orgs/{county.a.school.pk}/people/new/",
        {"full_name": "赵六", "username": "zhao6", "phone": "13512345678", "position": "教师"},
    )
    assert posted.status_code == 302  # Post/Redirect/Get
    response = client.get(posted["Location"])
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    password = re.search(r'id="initial-password">([^<]+)<', response.content.decode()).group(1)
    user = User.objects.get(username="zhao6")
    assert user.check_password(password) and user.must_change_password and user.organisation == county.a.school
    assert password not in client.get(f"/orgs/{county.a.school.pk}/").content.decode()
    # A refresh shows the password no more and creates nothing.
    again = client.get(posted["Location"])
    assert again.status_code == 410 and password not in again.content.decode()
    assert User.objects.filter(username="zhao6").count() == 1


def test_refreshing_a_reset_password_page_neither_resets_again_nor_shows_it(client, county):
    _login(client, county.bureau_admin)
    member = county.a.member
    posted = client.post(f"/orgs/people/{member.pk}/reset-password/")
    assert posted.status_code == 302
    password = re.search(r'id="initial-password">([^<]+)<', client.get(posted["Location"]).content.decode()).group(1)
    hashed = User.objects.get(pk=member.pk).password
    resets = AuditEntry.objects.filter(action="orgs.user.password_reset").count()
    again = client.get(posted["Location"])
    assert (
        again.status_code == 410 and password not in again.content.decode() and "只显示一次" in again.content.decode()
    )
    assert User.objects.get(pk=member.pk).password == hashed
    assert AuditEntry.objects.filter(action="orgs.user.password_reset").count() == resets
    # Another admin's session cannot take it either.
    client.force_login(county.other_bureau_user)
    assert client.get(posted["Location"]).status_code == 410


def test_a_bad_phone_stays_on_the_form(client, county):
    _login(client, county.bureau_admin)
    body = client.post(
        f"/orgs/{county.a.school.pk}/people/new/", {"full_name": "赵六", "username": "zhao6", "phone": "110"}
    ).content.decode()
    assert "不是有效的手机号" in body and not User.objects.filter(username="zhao6").exists()


def test_editing_disabling_and_resetting_an_account(client, county):
    _login(client, county.bureau_admin)
    member = county.a.member
    assert (
        client.post(
            f"/orgs/people/{member.pk}/edit/", {"full_name": "钱七", "phone": "", "position": "年级组长"}
        ).status_code
        == 302
    )
    assert client.post(f"/orgs/people/{member.pk}/active/", {"active": "0"}).status_code == 302
    response = client.post(f"/orgs/people/{member.pk}/reset-password/", follow=True)
    password = re.search(r'id="initial-password">([^<]+)<', response.content.decode()).group(1)
    member.refresh_from_db()
    assert (member.full_name, member.position, member.is_active) == ("钱七", "年级组长", False)
    assert member.check_password(password)


def test_a_centre_admin_manages_its_schools_only(client, county, centre_admin):
    _login(client, centre_admin)
    body = client.get("/orgs/").content.decode()
    assert "b学校" in body and "a学校" not in body and "新增学校" not in body
    assert client.get(f"/orgs/{county.b.school.pk}/").status_code == 200
    assert client.get(f"/orgs/{county.b.school.pk}/edit/").status_code == 404
    assert client.get(f"/orgs/{county.a.school.pk}/").status_code == 404
    assert client.post(f"/orgs/people/{county.a.member.pk}/reset-password/").status_code == 404
    assert client.post(f"/orgs/people/{county.a.member.pk}/active/", {"active": "0"}).status_code == 404
    county.a.member.refresh_from_db()
    assert county.a.member.is_active and county.a.member.check_password(PASSWORD)


def test_the_other_countys_admin_gets_404_and_nothing_changes(client, county):
    _login(client, county.other_bureau_user)
    member = county.a.member
    assert client.post(f"/orgs/people/{member.pk}/edit/", {"full_name": "x"}).status_code == 404
    assert client.post(f"/orgs/people/{member.pk}/reset-password/").status_code == 404
    assert (
        client.post(f"/orgs/{county.a.school.pk}/people/new/", {"full_name": "x", "username": "x"}).status_code == 404
    )
    member.refresh_from_db()
    assert (
        member.full_name != "x" and member.check_password(PASSWORD) and not User.objects.filter(username="x").exists()
    )


def test_a_first_sign_in_must_change_the_password_first(client, county):
    member = county.a.member
    member.must_change_password = True
    member.save()
    client.login(username=member.username, password=PASSWORD)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/orgs/me/password/"
    assert "初始密码" in client.get("/orgs/me/password/").content.decode()
    response = client.post(
        "/orgs/me/password/",
        {"old_password": PASSWORD, "new_password1": "Qingshi-2026!", "new_password2": "Qingshi-2026!"},
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still signed in, no longer redirected


def test_a_weak_new_password_is_refused_in_chinese(client, county):
    _login(client, county.a.member)
    body = client.post(
        "/orgs/me/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    ).content.decode()
    assert "全是数字" in body
    county.a.member.refresh_from_db()
    assert county.a.member.check_password(PASSWORD)


def test_everyone_edits_their_own_profile(client, county):
    _login(client, county.a.member)
    response = client.post("/orgs/me/", {"full_name": "孙八", "phone": "13600000000", "email": ""})
    assert response.status_code == 302
    county.a.member.refresh_from_db()
    assert (county.a.member.full_name, county.a.member.phone) == ("孙八", "13600000000")
