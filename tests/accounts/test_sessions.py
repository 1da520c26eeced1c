"""The idle timeout and the page of one's sign-in sessions (issue 13, point 6)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from accounts.models import UserSession
from accounts.sessions import SEEN_KEY
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
UA = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def signed_in(user, agent: str = UA) -> Client:
    if not user.check_password(PASSWORD):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    client = Client(HTTP_USER_AGENT=agent)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def age(client: Client, seconds: int) -> None:
    """Pretend the session was last used ``seconds`` ago."""
    session = client.session
    session[SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_the_idle_timeout_is_two_hours_by_default(settings):
    assert settings.SESSION_IDLE_TIMEOUT == 2 * 60 * 60


def test_a_session_unused_for_longer_than_the_idle_timeout_signs_out(county):
    client = signed_in(county.a.member)
    age(client, 2 * 60 * 60 + 5)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert not UserSession.objects.filter(user=county.a.member).exists()
    page = client.get(response["Location"])
    assert "较长时间未操作" in page.content.decode()


def test_a_session_used_within_the_timeout_stays_and_is_refreshed(county):
    client = signed_in(county.a.member)
    age(client, 2 * 60 * 60 - 60)
    assert client.get("/").status_code == 200
    assert time.time() - client.session[SEEN_KEY] < 5


def test_the_timeout_is_a_setting(county, settings):
    settings.SESSION_IDLE_TIMEOUT = 300
    client = signed_in(county.a.member)
    age(client, 301)
    assert client.get("/").status_code == 302


def test_the_pages_own_polling_is_not_activity(county):
    client = signed_in(county.a.member)
    age(client, 2 * 60 * 60 - 60)
    assert client.get("/notifications/feed/").status_code == 200
    assert time.time() - client.session[SEEN_KEY] > 2 * 60 * 60 - 120
    age(client, 2 * 60 * 60 + 5)
    assert client.get("/notifications/feed/").status_code == 401  # the page's script stops


def test_the_sessions_page_lists_only_the_users_live_sessions(county):
    user = county.a.member
    here = signed_in(user)
    signed_in(user, agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101 Firefox/133.0")
    gone = signed_in(user)
    gone.post("/accounts/logout/")
    signed_in(county.a.member2)
    page = here.get("/accounts/sessions/").content.decode()
    assert page.count('class="session-row') == 2
    assert "Chrome · Android" in page and "Firefox · Windows" in page and "当前设备" in page
    assert "结束其他 1 个登录" in page


def test_ending_the_others_signs_them_out_and_keeps_this_one(county):
    user = county.a.member
    here, there, elsewhere = signed_in(user), signed_in(user), signed_in(county.a.member2)
    response = here.post("/accounts/sessions/end-others/", follow=True)
    assert "已结束其他 1 个登录会话" in response.content.decode()
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 200
    assert UserSession.objects.filter(user=user).count() == 1
    entry = AuditEntry.objects.get(action="accounts.sessions.ended")
    assert entry.actor_id == user.pk and entry.data == {"count": 1}


def test_ending_sessions_needs_a_post_and_a_login(county):
    client = signed_in(county.a.member)
    assert client.get("/accounts/sessions/end-others/").status_code == 405
    assert Client().post("/accounts/sessions/end-others/").status_code == 302
    assert Client().get("/accounts/sessions/").status_code == 302


def test_a_session_under_a_new_key_is_listed_again(county):
    """update_session_auth_hash (a password change) cycles the key; the next page view lists it."""
    user = county.a.member
    client = signed_in(user)
    session = client.session
    old_key = session.session_key
    session.cycle_key()
    session.save()
    client.cookies["sessionid"] = session.session_key
    age(client, 120)
    assert client.get("/").status_code == 200
    keys = set(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    assert client.session.session_key in keys and old_key != client.session.session_key


def test_a_request_under_a_key_cycled_meanwhile_does_not_delete_the_new_cookie(county):
    """The feed polled while the password form was sent: it started with the old key, which the
    password change cycled. Its response must not delete the cookie (the browser would apply that
    deletion to the new key the password change had just set, and be signed out)."""
    client = signed_in(county.a.member)
    stale = client.cookies["sessionid"].value
    session = client.session
    session.cycle_key()  # what update_session_auth_hash does in the concurrent request
    session.save()
    stale_client = Client(HTTP_ACCEPT="application/json")
    stale_client.cookies["sessionid"] = stale
    response = stale_client.get("/notifications/feed/")
    assert response.status_code == 401
    assert "sessionid" not in response.cookies
    assert "Cookie" in response.get("Vary", "")


def test_signing_out_still_deletes_the_cookie(county):
    client = signed_in(county.a.member)
    response = client.post("/accounts/logout/")
    assert response.cookies["sessionid"].value == ""
    assert response.cookies["sessionid"]["max-age"] == 0
