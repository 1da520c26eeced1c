"""Sign-in throttling: repeated wrong passwords lock the username (from that address) with a Chinese
page that says when to try again; the account's admin unlocks it, nobody outside the county can."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from audit.models import AuditEntry
from core.errors import NotAllowed
from orgs import lockout, services
from tests.factories import PASSWORD


def _fail(client, username, times):
    response = None
    for _ in range(times):
        response = client.post("/accounts/login/", {"username": username, "password": "wrong-password"})
    return response


def test_repeated_failures_lock_out_with_a_chinese_page_saying_when(client, county):
    username = county.a.member.username
    first = _fail(client, username, settings.AXES_FAILURE_LIMIT - 1)
    assert first.status_code == 200 and "用户名或密码不正确" in first.content.decode()
    locked = _fail(client, username, 1)
    body = locked.content.decode()
    assert locked.status_code == 429 and "登录已暂时锁定" in body and 'id="retry-at"' in body
    # Even the right password is refused while locked.
    again = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert lockout.locked_usernames([username, county.a.leader.username]) == {username}


def test_a_success_before_the_limit_resets_the_count(client, county):
    username = county.a.member.username
    _fail(client, username, settings.AXES_FAILURE_LIMIT - 1)
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302
    client.logout()
    assert _fail(client, username, settings.AXES_FAILURE_LIMIT - 1).status_code == 200


def test_the_bureau_admin_unlocks_on_the_people_page(client, county):
    username = county.a.member.username
    _fail(client, username, settings.AXES_FAILURE_LIMIT)
    client.force_login(county.bureau_admin)
    page = client.get(f"/orgs/{county.a.school.pk}/").content.decode()
    assert "登录已锁定" in page and "解锁" in page
    assert client.post(f"/orgs/people/{county.a.member.pk}/unlock/").status_code == 302
    assert not AccessAttempt.objects.filter(username=username).exists()
    assert AuditEntry.objects.filter(action="orgs.user.unlocked", target_id=county.a.member.pk).exists()
    client.logout()
    assert client.post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("who", ["other_bureau_user", "inspector", "centre_head"])
def test_nobody_outside_the_accounts_admins_unlocks(client, county, who):
    username = county.a.member.username
    _fail(client, username, settings.AXES_FAILURE_LIMIT)
    with pytest.raises(NotAllowed):
        services.user_unlock(actor=getattr(county, who), person=county.a.member)
    client.force_login(getattr(county, who))
    assert client.post(f"/orgs/people/{county.a.member.pk}/unlock/").status_code == 404
    assert lockout.locked_usernames([username]) == {username}
