"""The notification page, the JSON feed, marking read, and the header every page carries."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from notifications.services import notify
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

K = Notification.Kind


@pytest.fixture(autouse=True)
def empty_inbox(county):
    Notification.objects.all().delete()


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_pages_need_a_login(client):
    assert client.get(reverse("notifications:inbox")).status_code == 302
    response = client.get(reverse("notifications:feed"))
    assert response.status_code == 401 and response.json() == {"error": "login_required"}


def test_every_page_header_has_the_live_badge(client, county):
    body = login(client, county.a.member).get("/").content.decode()
    assert 'id="notif"' in body and 'data-ws-path="/ws/notifications/"' in body and "js/live.js" in body
    assert 'id="toast-stack"' in body


def test_inbox_lists_own_notifications_with_filters(client, county):
    a = county.a
    notify(recipients=[a.member], kind=K.COMMENT, text="评论甲", url=f"/tasks/{a.tasks[0].pk}/", plan=a.tasks[0].plan)
    notify(recipients=[a.member], kind=K.OVERDUE, text="逾期乙", url=f"/tasks/{a.tasks[0].pk}/", plan=a.tasks[0].plan)
    notify(recipients=[a.member2], kind=K.COMMENT, text="别人的通知")
    login(client, a.member)
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert "评论甲" in body and "逾期乙" in body and "别人的通知" not in body
    body = client.get(reverse("notifications:inbox"), {"kind": "overdue"}).content.decode()
    assert "逾期乙" in body and "评论甲" not in body
    body = client.get(reverse("notifications:inbox"), {"state": "read"}).content.decode()
    assert "没有符合条件的通知" in body


def test_feed_returns_count_and_newest_items(client, county):
    a = county.a
    for i in range(10):
        notify(recipients=[a.member], kind=K.COMMENT, text=f"第{i}条", url=f"/tasks/{a.tasks[0].pk}/", plan=a.tasks[0].plan)
    data = login(client, a.member).get(reverse("notifications:feed")).json()
    assert data["unread"] == 10 and len(data["items"]) == 8
    assert data["items"][0]["text"] == "《义务教育优质均衡发展实施方案》第9条" and data["latest_id"] == data["items"][0]["id"]
    assert data["items"][0]["url"] == f"/tasks/{a.tasks[0].pk}/" and data["items"][0]["kind_label"] == "新评论"


def test_mark_read_is_a_post_idempotent_and_private(client, county):
    a = county.a
    (mine,) = notify(recipients=[a.member], kind=K.COMMENT, text="x")
    (theirs,) = notify(recipients=[a.member2], kind=K.COMMENT, text="y")
    login(client, a.member)
    url = reverse("notifications:read", args=[mine.pk])
    assert client.get(url).status_code == 405
    for _ in range(2):  # a double click
        response = client.post(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200 and response.json() == {"ok": True, "unread": 0}
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_redirects_back_only_to_this_site(client, county):
    (mine,) = notify(recipients=[county.a.member], kind=K.COMMENT, text="x")
    login(client, county.a.member)
    url = reverse("notifications:read", args=[mine.pk])
    assert client.post(url, {"next": "/notifications/?state=unread"})["Location"] == "/notifications/?state=unread"
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == reverse("notifications:inbox")


def test_mark_all_read_keeps_what_arrived_after_the_page_was_drawn(client, county):
    a = county.a
    shown = notify(recipients=[a.member], kind=K.COMMENT, text="shown")[0]
    login(client, a.member)
    later = notify(recipients=[a.member], kind=K.COMMENT, text="later")[0]
    response = client.post(reverse("notifications:read_all"), {"upto": shown.pk}, HTTP_ACCEPT="application/json")
    assert response.json() == {"ok": True, "changed": 1, "unread": 1}
    assert Notification.objects.get(pk=later.pk).read_at is None


def test_posts_need_the_csrf_token(county):
    (mine,) = notify(recipients=[county.a.member], kind=K.COMMENT, text="x")
    client = login(Client(enforce_csrf_checks=True), county.a.member)
    assert client.post(reverse("notifications:read", args=[mine.pk])).status_code == 403
    assert client.post(reverse("notifications:read_all")).status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_a_link_into_a_plan_no_longer_visible_is_not_rendered(client, county):
    Notification.objects.create(
        recipient=county.a.member, kind=K.COMMENT, text="旧通知", url=f"/plans/{county.c.plan.pk}/", plan=county.c.plan
    )
    body = login(client, county.a.member).get(reverse("notifications:inbox")).content.decode()
    assert "旧通知" in body and f"/plans/{county.c.plan.pk}/" not in body
