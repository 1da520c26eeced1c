"""The Django admin covers every model of the project, and its pages render for a superuser."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from plans.models import User

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
