"""The Django admin covers every model of the project, and its pages render for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from orgs.models import User

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("plans", "tasks", "workflows", "notifications")


def test_every_project_model_is_in_the_admin():
    missing = [
        m._meta.label
        for label in PROJECT_APPS
        for m in apps.get_app_config(label).get_models()
        if m not in admin.site._registry
    ]
    assert missing == []


def test_admin_pages_render_for_a_superuser(client, county):
    root = User.objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    for model in admin.site._registry:
        if model._meta.app_label not in PROJECT_APPS:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            assert client.get(f"{url}{obj.pk}/change/").status_code == 200, url


def test_seats_edited_in_the_admin_move_the_grants(client, county):
    from plans.models import LeadingGroupMember
    from plans.permissions import can_manage_plan_tasks

    a = county.a
    root = User.objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    seat = LeadingGroupMember.objects.get(plan=a.plan, user=a.member)
    url = f"/admin/plans/leadinggroupmember/{seat.pk}/change/"
    response = client.post(url, {"role": "office", "working_group": "", "duty": "协调"})
    assert response.status_code == 302
    assert can_manage_plan_tasks(User.objects.get(pk=a.member.pk), a.plan)
    response = client.post(f"/admin/plans/leadinggroupmember/{seat.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    member = User.objects.get(pk=a.member.pk)
    assert not can_manage_plan_tasks(member, a.plan)
    assert not LeadingGroupMember.objects.filter(pk=seat.pk).exists()
    outsider = county.b.member
    response = client.post(
        "/admin/plans/leadinggroupmember/add/", {"plan": a.plan.pk, "user": outsider.pk, "role": "member", "duty": ""}
    )
    assert response.status_code == 200 and "不能加入该校领导小组" in response.content.decode()
    assert not LeadingGroupMember.objects.filter(plan=a.plan, user=outsider).exists()


def test_people_and_schools_edited_in_the_admin_keep_their_grants(client, county):
    from orgs.models import Organisation
    from plans.selectors import visible_plans

    root = User.objects.create_superuser(username="root", password="x", email="")
    client.force_login(root)
    teacher = county.a.staff
    response = client.post(
        f"/admin/orgs/user/{teacher.pk}/change/",
        {
            "username": teacher.username,
            "full_name": teacher.full_name,
            "organisation": county.b.school.pk,
            "position": "",
            "bureau_role": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    moved = User.objects.get(pk=teacher.pk)
    assert set(visible_plans(moved)) == {county.b.plan}
    # school b moves from the centre school to directly under the bureau: the centre loses sight of it
    school = county.b.school
    response = client.post(
        f"/admin/orgs/organisation/{school.pk}/change/",
        {
            "code": school.code,
            "name": school.name,
            "kind": "school",
            "parent": county.bureau.pk,
            "township": school.township,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not visible_plans(User.objects.get(pk=county.centre_head.pk)).exists()
    assert county.b.plan in visible_plans(User.objects.get(pk=county.inspector.pk))
    assert Organisation.objects.get(pk=school.pk).parent == county.bureau


def test_a_second_leader_in_the_admin_is_a_form_error(client, county):
    from plans.models import LeadingGroupMember

    a = county.a
    client.force_login(User.objects.create_superuser(username="root", password="x", email=""))
    seat = LeadingGroupMember.objects.get(plan=a.plan, user=a.deputy)
    response = client.post(f"/admin/plans/leadinggroupmember/{seat.pk}/change/", {"role": "leader", "duty": ""})
    assert response.status_code == 200 and "已有组长" in response.content.decode()
    assert LeadingGroupMember.objects.get(pk=seat.pk).role == "deputy"
