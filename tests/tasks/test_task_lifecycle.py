"""The task lifecycle: each transition's new state, audit row and notifications."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, StaleObject
from notifications.models import Notification
from tasks import services
from tasks.models import Comment, Evidence, Task
from tests.factories import PASSWORD
from tests.workflow_helpers import fresh, pdf, to_state

pytestmark = pytest.mark.django_db


def audit(task, action):
    return AuditEntry.objects.filter(target_type="tasks.task", target_id=task.pk, action=action)


def test_assign_moves_to_todo_audits_and_notifies(county, django_capture_on_commit_callbacks):
    a = county.a
    task = a.tasks[2]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.task_assign(task=task, actor=a.office, assignee=a.member2)
    task = fresh(task)
    assert task.status == Task.Status.ASSIGNED and task.assignee == a.member2 and task.version == 1
    entry = audit(task, "tasks.task.assigned").get()
    assert (entry.actor, entry.from_state, entry.to_state) == (a.office, "unassigned", "assigned")
    note = Notification.objects.get(recipient=a.member2, url=f"/tasks/{task.pk}/")
    assert note.kind == Notification.Kind.TASK_ASSIGNED and note.url == f"/tasks/{task.pk}/"
    assert callbacks, "the push is scheduled after commit"


def test_reassign_goes_back_to_todo_for_the_new_assignee(county):
    a = county.a
    task = to_state(a, "in_progress")
    services.task_assign(task=task, actor=a.deputy, assignee=a.member2)
    task = fresh(task)
    assert task.status == Task.Status.ASSIGNED and task.assignee == a.member2
    assert audit(task, "tasks.task.reassigned").get().data["previous"] == a.member.username


def test_full_cycle_submit_return_resubmit_close(county):
    a = county.a
    task = a.tasks[0]
    services.task_start(task=task, actor=a.member)
    services.task_submit(task=task, actor=a.member, note="已印发", files=[pdf()])
    assert fresh(task).status == Task.Status.SUBMITTED
    assert Evidence.objects.filter(task=task).count() == 1
    reviewers = set(
        Notification.objects.filter(url=f"/tasks/{task.pk}/", kind="task_submitted").values_list("recipient__username", flat=True)
    )
    assert reviewers == {a.leader.username, a.deputy.username, a.office.username}
    services.task_return(task=task, actor=a.office, reason="缺少签章页")
    task = fresh(task)
    assert task.status == Task.Status.RETURNED and task.return_reason == "缺少签章页"
    assert Notification.objects.get(recipient=a.member, kind="task_returned").text.endswith("缺少签章页")
    services.task_submit(task=task, actor=a.member, note="已补充", files=[pdf("签章页.pdf")])
    services.task_close(task=task, actor=a.office)
    task = fresh(task)
    assert task.status == Task.Status.CLOSED and task.closed_at is not None
    actions = list(
        AuditEntry.objects.filter(target_id=task.pk, target_type="tasks.task")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "tasks.task.created",
        "tasks.task.started",
        "tasks.evidence.added",
        "tasks.task.submitted",
        "tasks.task.returned",
        "tasks.evidence.added",
        "tasks.task.submitted",
        "tasks.task.closed",
    ]
    assert Comment.objects.filter(task=task, body__contains="已补充").exists()


def test_leader_reopens_a_closed_task_with_a_reason(county):
    a = county.a
    task = to_state(a, "closed")
    with pytest.raises(DomainError, match="理由"):
        services.task_reopen(task=task, actor=a.leader, reason="  ")
    services.task_reopen(task=task, actor=a.leader, reason="复查发现问题")
    task = fresh(task)
    assert task.status == Task.Status.RETURNED and task.closed_at is None
    assert audit(task, "tasks.task.reopened").get().reason == "复查发现问题"


def test_waive_counts_as_done_and_keeps_the_reason(county):
    a = county.a
    task = fresh(a.tasks[2])
    services.task_waive(task=task, actor=a.leader, reason="本校无此项")
    task = fresh(task)
    assert task.status == Task.Status.CLOSED and task.waived and task.waive_reason == "本校无此项"
    with pytest.raises(InvalidTransition):
        services.task_reopen(task=task, actor=a.leader, reason="x")


# --- bad input -----------------------------------------------------------------------------------


def unchanged(task, before_version, before_audit):
    t = fresh(task)
    return t.version == before_version and AuditEntry.objects.count() == before_audit


def test_submitting_a_closed_task_is_refused(county):
    a = county.a
    task = to_state(a, "closed")
    version, n = task.version, AuditEntry.objects.count()
    with pytest.raises(InvalidTransition, match="已完成"):
        services.task_submit(task=task, actor=a.member)
    assert unchanged(task, version, n)


def test_returning_without_a_reason_is_refused(county):
    a = county.a
    task = to_state(a, "submitted")
    version, n = task.version, AuditEntry.objects.count()
    with pytest.raises(DomainError, match="退回理由"):
        services.task_return(task=task, actor=a.office, reason="")
    assert unchanged(task, version, n) and fresh(task).status == Task.Status.SUBMITTED


def test_a_stale_form_is_refused(county):
    a = county.a
    task = to_state(a, "submitted")
    seen = task.version
    services.task_return(task=task, actor=a.deputy, reason="再补充")
    version, n = fresh(task).version, AuditEntry.objects.count()
    with pytest.raises(StaleObject, match="刷新页面"):
        services.task_close(task=task, actor=a.office, expected_version=seen)
    assert unchanged(task, version, n) and fresh(task).status == Task.Status.RETURNED


@pytest.mark.parametrize(
    "upload, message",
    [
        (lambda: pdf("big.pdf", size=21 * 1024 * 1024), "超过"),
        (lambda: pdf("脚本.exe"), "不支持"),
        (lambda: pdf("fake.png"), "不符"),
        (lambda: SimpleUploadedFile("empty.pdf", b""), "空文件"),
        (lambda: SimpleUploadedFile("说明.txt", b"\x00\x01binary"), "不是文本"),
    ],
)
def test_bad_evidence_is_refused_and_changes_nothing(county, upload, message):
    a = county.a
    task = fresh(a.tasks[0])
    version, n = task.version, AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message):
        services.task_submit(task=task, actor=a.member, files=[upload()])
    assert unchanged(task, version, n) and fresh(task).status == Task.Status.ASSIGNED
    assert not Evidence.objects.filter(task=task).exists()


def test_tasks_of_a_pending_stage_are_not_actionable(county):
    a = county.a
    later = fresh(a.tasks[3])  # 实施阶段, assigned to member
    with pytest.raises(InvalidTransition, match="尚未开启"):
        services.task_start(task=later, actor=a.member)
    services.task_assign(task=later, actor=a.office, assignee=a.member2)  # planning ahead is allowed
    assert fresh(later).assignee == a.member2


def test_bulk_assign_round_robin_over_a_working_group(county):
    from plans import services as plan_services

    a = county.a
    group = plan_services.working_group_create(actor=None, plan=a.plan, name="资源配置组")
    for user in (a.member, a.member2):
        plan_services.seat_set(actor=None, plan=a.plan, user=user, role="member", working_group=group)
    extra = [services.task_create(actor=a.office, measure=a.measure, title=f"新任务{i}") for i in range(4)]
    services.tasks_assign_bulk(actor=a.office, tasks=extra, working_group=group)
    owners = [fresh(t).assignee for t in extra]
    assert owners.count(a.member) == 2 and owners.count(a.member2) == 2


def test_bulk_assign_is_all_or_nothing(county):
    a = county.a
    closed = to_state(a, "closed")
    open_task = fresh(a.tasks[2])
    with pytest.raises(DomainError):
        services.tasks_assign_bulk(actor=a.office, tasks=[open_task, closed], assignee=a.member2)
    assert fresh(open_task).status == Task.Status.UNASSIGNED


# --- through the pages ---------------------------------------------------------------------------


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_return_without_reason_on_the_page_shows_a_message(client, county):
    a = county.a
    task = to_state(a, "submitted")
    login(client, a.office)
    url = reverse("tasks:task_act", args=[task.pk, "return"])
    response = client.post(url, {"version": task.version, "reason": ""}, follow=True)
    assert "请填写理由" in response.content.decode()
    assert fresh(task).status == Task.Status.SUBMITTED


def test_double_click_closes_once_and_explains_the_second(client, county):
    a = county.a
    task = to_state(a, "submitted")
    login(client, a.office)
    url = reverse("tasks:task_act", args=[task.pk, "close"])
    client.post(url, {"version": task.version})
    second = client.post(url, {"version": task.version}, follow=True).content.decode()
    assert "已被他人更新" in second
    assert AuditEntry.objects.filter(action="tasks.task.closed", target_id=task.pk).count() == 1


def test_a_forged_task_id_from_another_school_is_404_and_changes_nothing(client, county):
    b_task = to_state(county.b, "submitted")
    login(client, county.a.office)
    for action in ("close", "return", "assign", "start", "submit", "waive", "reopen"):
        response = client.post(
            reverse("tasks:task_act", args=[b_task.pk, action]), {"version": b_task.version, "reason": "x"}
        )
        assert response.status_code == 404
    assert client.post(reverse("tasks:comment_post", args=[b_task.pk]), {"body": "x"}).status_code == 404
    assert client.post(reverse("tasks:evidence_upload", args=[b_task.pk]), {"file": pdf()}).status_code == 404
    assert fresh(b_task).status == Task.Status.SUBMITTED
    assert (
        client.get(reverse("tasks:evidence_download", args=[Evidence.objects.get(task=b_task).pk])).status_code == 404
    )


def test_member_cannot_close_through_the_page(client, county):
    a = county.a
    task = to_state(a, "submitted")
    login(client, a.member2)
    response = client.post(reverse("tasks:task_act", args=[task.pk, "close"]), {"version": task.version})
    assert response.status_code == 403 and "无权" in response.content.decode()
    assert fresh(task).status == Task.Status.SUBMITTED


def test_submit_with_a_file_through_the_page_and_download_it(client, county):
    a = county.a
    task = fresh(a.tasks[0])
    login(client, a.member)
    response = client.post(
        reverse("tasks:task_act", args=[task.pk, "submit"]),
        {"version": task.version, "note": "见附件", "files": [pdf("方案.pdf")]},
        follow=True,
    )
    assert "已提交审核" in response.content.decode()
    evidence = Evidence.objects.get(task=task)
    assert evidence.original_name == "方案.pdf"
    download = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    client.logout()
    login(client, county.b.leader)
    assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404


def test_too_large_file_on_the_page_keeps_the_task_as_it_was(client, county):
    a = county.a
    task = fresh(a.tasks[0])
    login(client, a.member)
    response = client.post(
        reverse("tasks:task_act", args=[task.pk, "submit"]),
        {"version": task.version, "files": [pdf("big.pdf", size=21 * 1024 * 1024)]},
        follow=True,
    )
    assert "超过 20 MB" in response.content.decode()
    assert fresh(task).status == Task.Status.ASSIGNED and not Evidence.objects.exists()


def test_task_page_shows_the_timeline_and_overdue(client, county):
    a = county.a
    login(client, a.member2)
    body = client.get(reverse("tasks:task_detail", args=[a.tasks[1].pk])).content.decode()
    assert "逾期2天" in body and "新增任务" in body and "办理记录" in body


def test_task_page_offers_nudge_to_the_office_only(client, county):
    a = county.a
    url = reverse("tasks:task_detail", args=[a.tasks[0].pk])
    login(client, a.office)
    body = client.get(url).content.decode()
    assert "催办记录" in body and f"催办 {a.member}" in body
    client.logout()
    login(client, a.member2)
    body = client.get(url).content.decode()
    assert "催办记录" in body and f"催办 {a.member}" not in body


@pytest.mark.parametrize("value", ["", "abc", "999999", "1 OR 1=1"])
def test_a_broken_assignee_on_the_page_is_a_message(client, county, value):
    a = county.a
    task = fresh(a.tasks[2])
    login(client, a.office)
    response = client.post(
        reverse("tasks:task_act", args=[task.pk, "assign"]), {"version": task.version, "assignee": value}, follow=True
    )
    assert response.status_code == 200 and "请选择责任人" in response.content.decode()
    assert fresh(task).status == Task.Status.UNASSIGNED


def test_a_refused_submission_leaves_no_file_behind(county, settings):
    from pathlib import Path

    a = county.a
    task = to_state(a, "closed")

    def stored():
        return sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())

    before = stored()
    with pytest.raises(InvalidTransition):
        services.task_submit(task=task, actor=a.member, files=[pdf("迟到的材料.pdf")])
    with pytest.raises(StaleObject):
        services.task_submit(task=a.tasks[1], actor=a.member2, files=[pdf()], expected_version=99)
    with pytest.raises(DomainError, match="不支持"):
        services.task_submit(task=a.tasks[1], actor=a.member2, files=[pdf("好的.pdf"), pdf("坏的.exe")])
    assert stored() == before
    services.task_submit(task=a.tasks[1], actor=a.member2, files=[pdf()])
    assert len(stored()) == len(before) + 1


def test_a_reviewed_task_settles_every_reviewers_request(county):
    # Once one reviewer closed or returned the work, 请审核 waits for nobody: the other reviewers'
    # notifications about it are read (the office was left with dozens of handled requests).
    a = county.a
    services.task_start(task=a.tasks[0], actor=a.member)
    services.task_submit(task=a.tasks[0], actor=a.member, note="完成")
    waiting = Notification.objects.filter(kind="task_submitted", url=f"/tasks/{a.tasks[0].pk}/")
    assert waiting.count() >= 2 and waiting.filter(read_at__isnull=True).count() == waiting.count()
    services.task_return(task=a.tasks[0], actor=a.office, reason="补充材料")
    assert not waiting.filter(read_at__isnull=True).exists()
    # A request about another task stays unread.
    services.task_start(task=a.tasks[1], actor=a.member2)
    services.task_submit(task=a.tasks[1], actor=a.member2, note="完成")
    other = Notification.objects.filter(kind="task_submitted", url=f"/tasks/{a.tasks[1].pk}/", read_at__isnull=True)
    assert other.exists()
    services.task_start(task=a.tasks[0], actor=a.member)
    services.task_submit(task=a.tasks[0], actor=a.member, note="已补充")
    assert waiting.filter(read_at__isnull=True).exists()  # submitted again: a new request
    services.task_close(task=a.tasks[0], actor=a.leader)
    assert not waiting.filter(read_at__isnull=True).exists() and other.exists()
