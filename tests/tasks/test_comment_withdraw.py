"""Withdrawing a comment: who may, the page shows 已撤回, the text stays in the history."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from core.errors import InvalidTransition, NotAllowed
from history.sentences import describe
from notifications.models import Notification
from tasks import services
from tasks.models import Comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(county):
    return services.comment_add(task=county.a.tasks[0], actor=county.a.member, body="初稿里有错字:校长签名缺失")


def test_the_author_withdraws_and_the_text_stays_in_the_history(county, comment, client):
    services.comment_withdraw(comment=comment, actor=county.a.member, reason="发错了")
    comment.refresh_from_db()
    assert comment.withdrawn_at is not None and comment.withdrawn_by == county.a.member
    assert comment.body == "初稿里有错字:校长签名缺失"  # never edited
    entry = AuditEntry.objects.get(action="tasks.comment.withdrawn")
    assert entry.data["body"] == comment.body and entry.reason == "发错了" and entry.target_id == comment.task_id
    line = describe([entry])[0]
    assert "撤回评论" in line.sentence and "校长签名缺失" in line.sentence and "发错了" in line.sentence
    client.force_login(county.a.leader)
    page = client.get(reverse("tasks:task_detail", args=[comment.task_id])).content.decode()
    assert "已撤回" in page and "校长签名缺失" not in page.split('id="comments"')[1].split("</section>")[0]
    assert not Notification.objects.filter(recipient=county.a.member, text__contains="撤回").exists()


def test_the_office_withdraws_anyones_comment_and_the_author_is_told(
    county, comment, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_withdraw(comment=comment, actor=county.a.office, reason="含个人信息")
    note = Notification.objects.get(recipient=county.a.member, text__contains="撤回")
    assert "含个人信息" in note.text


@pytest.mark.parametrize("who", ["member2", "staff"])
def test_others_may_not_withdraw_and_nothing_changes(county, comment, who):
    with pytest.raises(NotAllowed):
        services.comment_withdraw(comment=comment, actor=getattr(county.a, who))
    comment.refresh_from_db()
    assert comment.withdrawn_at is None
    assert not AuditEntry.objects.filter(action="tasks.comment.withdrawn").exists()


def test_the_author_may_withdraw_only_within_a_day(county, comment):
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))
    with pytest.raises(NotAllowed, match="24 小时"):
        services.comment_withdraw(comment=comment, actor=county.a.member)
    services.comment_withdraw(comment=comment, actor=county.a.leader)  # the plan's leader still may


def test_a_double_submit_withdraws_once(county, comment, client):
    client.force_login(county.a.member)
    url = reverse("tasks:comment_withdraw", args=[comment.task_id, comment.pk])
    assert client.post(url).status_code == 302
    response = client.post(url, follow=True)
    assert "该评论已撤回" in response.content.decode()
    assert AuditEntry.objects.filter(action="tasks.comment.withdrawn").count() == 1
    with pytest.raises(InvalidTransition):
        services.comment_withdraw(comment=comment, actor=county.a.member)


def test_another_schools_comment_is_404(county, comment, client):
    client.force_login(county.b.leader)
    url = reverse("tasks:comment_withdraw", args=[comment.task_id, comment.pk])
    assert client.post(url).status_code == 404
    # and a comment id under a task of the viewer's own school is not found either
    own_task = county.b.tasks[0]
    assert client.post(reverse("tasks:comment_withdraw", args=[own_task.pk, comment.pk])).status_code == 404
    comment.refresh_from_db()
    assert comment.withdrawn_at is None


def test_the_button_shows_only_to_who_may_withdraw(county, comment, client):
    url = reverse("tasks:task_detail", args=[comment.task_id])
    withdraw = reverse("tasks:comment_withdraw", args=[comment.task_id, comment.pk])
    client.force_login(county.a.member2)
    assert withdraw not in client.get(url).content.decode()
    client.force_login(county.a.member)
    assert withdraw in client.get(url).content.decode()
    client.force_login(county.a.member2)
    assert client.post(withdraw).status_code == 403
