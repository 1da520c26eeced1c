"""Plans that can change: audited edits with old and new values, and shifting every date of a
plan by N days with a preview; only the plan's managers (and the bureau admin) may."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from plans import services
from plans.models import Stage
from tasks.models import Task
from tasks.services import plan_dates_shift, plan_dates_shift_preview, task_close, task_start, task_submit, task_update


def test_plan_title_and_summary_are_edited_with_old_and_new(county):
    plan = county.a.plan
    services.plan_update(actor=county.a.leader, plan=plan, title="新名称", summary="新目标")
    plan.refresh_from_db()
    assert (plan.title, plan.summary) == ("新名称", "新目标")
    entry = AuditEntry.objects.get(action="plans.plan.updated", plan_id=plan.pk)
    assert entry.data["changes"]["title"] == ["义务教育优质均衡发展实施方案", "新名称"]


def test_a_stage_window_is_edited_and_checked(county):
    stage = county.a.plan.stages.get(order=2)
    with pytest.raises(DomainError):
        services.stage_window_set(
            actor=county.a.office, stage=stage, starts_on=datetime.date(2026, 5, 1), ends_on=datetime.date(2026, 4, 1)
        )
    services.stage_window_set(
        actor=county.a.office, stage=stage, starts_on=datetime.date(2026, 5, 1), ends_on=datetime.date(2026, 9, 30)
    )
    entry = AuditEntry.objects.get(action="plans.stage.window_changed", target_id=stage.pk)
    assert entry.data["changes"]["ends_on"][1] == "2026-09-30"


def test_a_measure_is_edited(county):
    measure = county.a.measure
    services.measure_update(
        actor=county.a.deputy,
        measure=measure,
        title="成立领导小组并分工",
        owner=county.a.deputy,
        responsible_units="办公室",
        weight=Decimal("2"),
    )
    measure.refresh_from_db()
    assert (measure.title, measure.owner, measure.weight) == ("成立领导小组并分工", county.a.deputy, Decimal("2"))
    entry = AuditEntry.objects.get(action="plans.measure.updated", target_id=measure.pk)
    assert entry.data["changes"]["owner"] == [str(county.a.leader), str(county.a.deputy)]


def test_a_task_is_edited_with_old_and_new_values(county):
    task = county.a.tasks[0]
    due = task.due_on + datetime.timedelta(days=7)
    task_update(task=task, actor=county.a.office, title="印发正式文件", due_on=due, weight=Decimal("3"))
    task.refresh_from_db()
    assert (task.title, task.due_on, task.weight) == ("印发正式文件", due, Decimal("3"))
    entry = AuditEntry.objects.get(action="tasks.task.updated", target_id=task.pk)
    assert entry.data["changes"]["title"] == ["印发文件", "印发正式文件"]


def test_a_closed_task_cannot_be_edited(county):
    task = county.a.tasks[0]
    task_start(task=task, actor=county.a.member)
    task_submit(task=task, actor=county.a.member)
    task_close(task=task, actor=county.a.leader)
    with pytest.raises(InvalidTransition):
        task_update(task=task, actor=county.a.leader, title="x")


@pytest.mark.parametrize("who", ["member", "staff", "b_leader", "inspector"])
def test_members_and_outsiders_cannot_edit(county, who):
    actor = county.b.leader if who == "b_leader" else county.inspector if who == "inspector" else getattr(county.a, who)
    plan, task, measure = county.a.plan, county.a.tasks[0], county.a.measure
    before = (plan.title, task.title, measure.title, AuditEntry.objects.count())
    with pytest.raises(NotAllowed):
        services.plan_update(actor=actor, plan=plan, title="x")
    with pytest.raises(NotAllowed):
        services.measure_update(actor=actor, measure=measure, title="x")
    with pytest.raises(NotAllowed):
        task_update(task=task, actor=actor, title="x")
    with pytest.raises(NotAllowed):
        plan_dates_shift(actor=actor, plan=plan, days=7)
    plan.refresh_from_db(), task.refresh_from_db(), measure.refresh_from_db()
    assert (plan.title, task.title, measure.title, AuditEntry.objects.count()) == before


def test_shifting_a_plan_moves_every_open_date_and_the_preview_says_so(county):
    plan = county.a.plan
    stage2 = plan.stages.get(order=2)
    old_stage2 = (stage2.starts_on, stage2.ends_on)
    task = county.a.tasks[0]
    preview = plan_dates_shift_preview(plan, 365)
    assert any(
        r.kind == "任务" and r.name == task.title and r.new == task.due_on + datetime.timedelta(days=365)
        for r in preview
    )
    assert Task.objects.get(pk=task.pk).due_on == task.due_on  # a preview writes nothing

    counts = plan_dates_shift(actor=county.a.leader, plan=plan, days=365)

    stage2.refresh_from_db()
    assert (stage2.starts_on, stage2.ends_on) == tuple(d + datetime.timedelta(days=365) for d in old_stage2)
    assert Task.objects.get(pk=task.pk).due_on == task.due_on + datetime.timedelta(days=365)
    assert counts["stages"] == 3 and counts["tasks"] == 2  # the two dated tasks
    assert AuditEntry.objects.get(action="plans.plan.dates_shifted").data == counts


def test_a_signed_off_stage_keeps_its_dates(county):
    plan = county.a.plan
    first = plan.stages.get(order=1)
    Stage.objects.filter(pk=first.pk).update(status=Stage.Status.COMPLETED)
    plan_dates_shift(actor=county.bureau_admin, plan=plan, days=30)
    first.refresh_from_db()
    assert first.starts_on == plan.stages.get(order=1).starts_on
    assert Task.objects.get(pk=county.a.tasks[0].pk).due_on == county.a.tasks[0].due_on


def test_the_task_page_edits_a_task_for_managers_only(client, county):
    task = county.a.tasks[0]
    client.force_login(county.a.member)
    assert "task-edit-link" not in client.get(f"/tasks/{task.pk}/").content.decode()
    assert (
        client.post(f"/tasks/{task.pk}/edit/", {"title": "x", "weight": "1", "version": task.version}).status_code
        == 403
    )
    client.force_login(county.a.office)
    assert "task-edit-link" in client.get(f"/tasks/{task.pk}/").content.decode()
    response = client.post(
        f"/tasks/{task.pk}/edit/",
        {"title": "印发正式文件", "description": "", "due_on": "2027-01-15", "weight": "2", "version": task.version},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.due_on) == ("印发正式文件", datetime.date(2027, 1, 15))
    stale = client.post(f"/tasks/{task.pk}/edit/", {"title": "y", "weight": "1", "version": task.version - 1})
    assert "已被他人更新" in stale.content.decode()


def test_a_stage_is_added_before_acceptance_and_audited(county):
    plan = county.a.plan
    stage = services.stage_add(actor=county.a.leader, plan=plan, name="整改阶段")
    assert list(plan.stages.order_by("order").values_list("name", flat=True)) == [
        "准备阶段",
        "实施阶段",
        "整改阶段",
        "验收阶段",
    ]
    assert AuditEntry.objects.get(action="plans.stage.added", target_id=stage.pk).data["before"] == "验收阶段"


def test_no_stage_is_added_once_the_plan_reached_its_last_stage(county):
    plan = county.a.plan
    Stage.objects.filter(plan=plan, order=3).update(status=Stage.Status.OPEN)
    with pytest.raises(DomainError, match="最后阶段"):
        services.stage_add(actor=county.a.leader, plan=plan, name="整改阶段")
    assert plan.stages.count() == 3


def test_a_member_cannot_add_a_stage(county, client):
    with pytest.raises(NotAllowed):
        services.stage_add(actor=county.a.member, plan=county.a.plan, name="x")
    client.force_login(county.a.member)
    assert client.post(f"/plans/{county.a.plan.pk}/edit/stages/new/", {"new-name": "x"}).status_code == 404
    assert county.a.plan.stages.count() == 3


def test_the_edit_page_adds_a_stage(county, client):
    client.force_login(county.a.office)
    client.post(f"/plans/{county.a.plan.pk}/edit/stages/new/", {"new-name": "整改阶段"})
    assert county.a.plan.stages.filter(name="整改阶段", order=3).exists()
