"""notify(), marking read, and the push after commit."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.db import transaction

from notifications import push
from notifications.models import Notification
from notifications.selectors import feed, inbox, with_safe_links
from notifications.services import notification_mark_read, notifications_mark_all_read, notify

pytestmark = pytest.mark.django_db

K = Notification.Kind


@pytest.fixture(autouse=True)
def empty_inbox(county):
    # The county's tasks were created with assignees, which already notified them.
    Notification.objects.all().delete()


def test_notify_stores_one_row_per_distinct_active_recipient_minus_the_actor(county):
    a = county.a
    a.member2.is_active = False
    a.member2.save()
    rows = notify(
        recipients=[a.member, a.member, a.office, a.member2, None],
        kind=K.COMMENT,
        text="新评论",
        plan=a.plan,
        exclude=a.office,
    )
    assert [n.recipient for n in rows] == [a.member]
    assert Notification.objects.count() == 1


def test_notify_skips_recipients_who_may_not_see_the_plan(county, caplog):
    a = county.a
    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        rows = notify(
            recipients=[a.member, county.c.member, county.other_bureau_user],
            kind=K.STAGE_OPENED,
            text="阶段开启",
            plan=a.plan,
        )
    assert [n.recipient for n in rows] == [a.member]
    assert "may not see plan" in caplog.text


def test_overseers_of_the_school_may_be_notified_about_its_plan(county):
    rows = notify(recipients=[county.inspector, county.bureau_admin], kind=K.ESCALATION, text="x", plan=county.a.plan)
    assert len(rows) == 2


@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_notify_drops_links_that_leave_the_site(county, url):
    (row,) = notify(recipients=[county.a.member], kind=K.COMMENT, text="x", url=url)
    assert row.url == ""


def test_notify_keeps_a_local_link_and_its_plan(county):
    task = county.a.tasks[0]
    (row,) = notify(recipients=[county.a.member], kind=K.COMMENT, text="x", url=f"/tasks/{task.pk}/", plan=task.plan)
    assert row.url == f"/tasks/{task.pk}/" and row.plan == county.a.plan


def test_push_runs_after_commit_with_the_rows(county, django_capture_on_commit_callbacks):
    with mock.patch("notifications.push.push_notifications") as pushed:
        with django_capture_on_commit_callbacks(execute=True):
            with transaction.atomic():
                rows = notify(recipients=[county.a.member, county.a.office], kind=K.COMMENT, text="x")
                assert not pushed.called, "nothing is pushed inside the transaction"
    pushed.assert_called_once()
    assert [n.pk for n in pushed.call_args.args[0]] == [n.pk for n in rows]


def test_no_push_when_the_transaction_rolls_back(county, django_capture_on_commit_callbacks):
    with mock.patch("notifications.push.push_notifications") as pushed:
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError), transaction.atomic():
                notify(recipients=[county.a.member], kind=K.COMMENT, text="x")
                raise RuntimeError("the action failed")
    assert not pushed.called
    assert not Notification.objects.exists()


def test_nothing_to_store_schedules_nothing(county, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        notify(recipients=[county.a.office], kind=K.COMMENT, text="x", exclude=county.a.office)
    assert callbacks == []


def test_a_layer_that_is_down_is_logged_and_skipped(county, settings, caplog, django_capture_on_commit_callbacks):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "notifications.layers.RedisChannelLayer", "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}
    }
    with caplog.at_level(logging.WARNING, logger="notifications.push"):
        with django_capture_on_commit_callbacks(execute=True):
            rows = notify(recipients=[county.a.member], kind=K.COMMENT, text="x", plan=county.a.plan)
        push.plan_changed(county.a.plan.pk)
    assert Notification.objects.filter(pk=rows[0].pk).exists(), "the row is stored all the same"
    assert caplog.text.count("push skipped") == 2


def test_mark_read_is_idempotent_and_private(county, django_capture_on_commit_callbacks):
    (mine,) = notify(recipients=[county.a.member], kind=K.COMMENT, text="x")
    (theirs,) = notify(recipients=[county.a.member2], kind=K.COMMENT, text="y")
    with mock.patch("notifications.push.push_to_users") as synced:
        with django_capture_on_commit_callbacks(execute=True):
            assert notification_mark_read(user=county.a.member, notification_id=mine.pk) is True
            assert notification_mark_read(user=county.a.member, notification_id=mine.pk) is False
    synced.assert_called_once_with([county.a.member.pk])
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(user=county.a.member, notification_id=theirs.pk)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_stops_at_the_newest_the_page_showed(county):
    first = notify(recipients=[county.a.member], kind=K.COMMENT, text="1")[0]
    later = notify(recipients=[county.a.member], kind=K.COMMENT, text="2")[0]
    other = notify(recipients=[county.a.member2], kind=K.COMMENT, text="3")[0]
    assert notifications_mark_all_read(user=county.a.member, upto_id=first.pk) == 1
    assert Notification.objects.get(pk=later.pk).read_at is None
    assert notifications_mark_all_read(user=county.a.member) == 1
    assert notifications_mark_all_read(user=county.a.member) == 0
    assert Notification.objects.get(pk=other.pk).read_at is None


def test_inbox_filters_by_kind_and_state(county):
    a = county.a
    notify(recipients=[a.member], kind=K.COMMENT, text="c")
    overdue = notify(recipients=[a.member], kind=K.OVERDUE, text="o")[0]
    notify(recipients=[a.member2], kind=K.OVERDUE, text="someone else's")
    notification_mark_read(user=a.member, notification_id=overdue.pk)
    assert [n.text for n in inbox(a.member)] == ["o", "c"]
    assert [n.text for n in inbox(a.member, kind=K.OVERDUE)] == ["o"]
    assert [n.text for n in inbox(a.member, state="unread")] == ["c"]
    assert [n.text for n in inbox(a.member, state="read")] == ["o"]
    assert [n.text for n in inbox(a.member, kind="bogus")] == ["o", "c"]


def test_links_into_a_plan_the_user_can_no_longer_see_are_blanked(county):
    # A row written while the user could see the plan (e.g. before their seat was removed).
    stale = Notification.objects.create(
        recipient=county.a.member, kind=K.COMMENT, text="x", url=f"/plans/{county.c.plan.pk}/", plan=county.c.plan
    )
    task = county.a.tasks[0]
    fine = notify(recipients=[county.a.member], kind=K.COMMENT, text="y", url=f"/tasks/{task.pk}/", plan=task.plan)[0]
    rows = with_safe_links(county.a.member, [stale, fine])
    assert [r.link for r in rows] == ["", fine.url]
    data = feed(county.a.member)
    assert data["unread"] == 2 and {i["url"] for i in data["items"]} == {"", fine.url}
    assert all("recipient" not in i for i in data["items"])
