"""The plan's edit page: managers edit the title, a stage window, and shift dates after a preview;
members and other schools get 404 and change nothing."""

from __future__ import annotations

import datetime

import pytest

from plans.models import Stage
from tasks.models import Task


def test_a_manager_edits_the_plan_and_a_stage_window(client, county):
    plan = county.a.plan
    client.force_login(county.a.office)
    assert "编辑方案" in client.get(f"/plans/{plan.pk}/").content.decode()
    client.post(f"/plans/{plan.pk}/edit/", {"title": "新名称", "summary": "目标"})
    stage = plan.stages.get(order=3)
    client.post(
        f"/plans/{plan.pk}/edit/stages/{stage.pk}/",
        {f"s{stage.pk}-starts_on": "2027-01-01", f"s{stage.pk}-ends_on": "2027-02-01"},
    )
    plan.refresh_from_db(), stage.refresh_from_db()
    assert plan.title == "新名称" and stage.ends_on == datetime.date(2027, 2, 1)


def test_shift_previews_then_applies(client, county):
    plan, task = county.a.plan, county.a.tasks[0]
    client.force_login(county.a.leader)
    page = client.get(f"/plans/{plan.pk}/edit/?days=7").content.decode()
    new_due = (task.due_on + datetime.timedelta(days=7)).isoformat()
    assert "shift-preview" in page and new_due in page
    assert Task.objects.get(pk=task.pk).due_on == task.due_on
    client.post(f"/plans/{plan.pk}/edit/shift/", {"days": "7"})
    assert Task.objects.get(pk=task.pk).due_on.isoformat() == new_due


@pytest.mark.parametrize("who", ["member", "b_leader"])
def test_others_cannot_edit(client, county, who):
    plan = county.a.plan
    stage = plan.stages.get(order=2)
    before = (plan.title, stage.starts_on)
    client.force_login(county.b.leader if who == "b_leader" else county.a.member)
    assert client.get(f"/plans/{plan.pk}/edit/").status_code == 404
    client.post(f"/plans/{plan.pk}/edit/", {"title": "x"})
    client.post(f"/plans/{plan.pk}/edit/shift/", {"days": "7"})
    client.post(f"/plans/{plan.pk}/edit/stages/{stage.pk}/", {f"s{stage.pk}-starts_on": "2030-01-01"})
    plan.refresh_from_db()
    assert (plan.title, Stage.objects.get(pk=stage.pk).starts_on) == before


def test_a_manager_edits_a_measure_and_a_member_cannot(client, county):
    plan, measure = county.a.plan, county.a.measure
    url = f"/plans/{plan.pk}/measures/{measure.pk}/edit/"
    client.force_login(county.a.member)
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "x", "weight": "1"}).status_code == 404
    client.force_login(county.a.deputy)
    assert "编辑措施" in client.get(f"/plans/{plan.pk}/").content.decode()
    response = client.post(
        url, {"title": "成立领导小组", "owner": county.a.deputy.pk, "responsible_units": "校办", "weight": "2"}
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.title, measure.owner, measure.responsible_units) == ("成立领导小组", county.a.deputy, "校办")


def test_another_schools_measure_is_not_found(client, county):
    client.force_login(county.a.leader)
    url = f"/plans/{county.a.plan.pk}/measures/{county.b.measure.pk}/edit/"
    assert client.post(url, {"title": "x", "weight": "1"}).status_code == 404
    county.b.measure.refresh_from_db()
    assert county.b.measure.title != "x"
