"""The admin shows history-bearing records read-only and refuses to delete people and
organisations with history, saying why."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs.models import Organisation, User
from tasks.models import Task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, county):
    root = UserFactory(username="root", organisation=county.bureau, is_staff=True, is_superuser=True)
    client.force_login(root)
    return client


@pytest.mark.parametrize("name", ["tasks_task", "tasks_comment", "tasks_evidence", "plans_indicatorreading", "plans_plan"])
def test_history_records_are_read_only_in_the_admin(admin_client, county, name):
    response = admin_client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 403


def test_a_task_cannot_be_edited_or_deleted_in_the_admin(admin_client, county):
    task = county.a.tasks[0]
    page = admin_client.get(reverse("admin:tasks_task_change", args=[task.pk])).content.decode()
    assert 'name="_save"' not in page
    response = admin_client.post(reverse("admin:tasks_task_change", args=[task.pk]), {"title": "改过的标题"})
    assert response.status_code == 403
    assert admin_client.post(reverse("admin:tasks_task_delete", args=[task.pk]), {"post": "yes"}).status_code == 403
    assert Task.objects.get(pk=task.pk).title == task.title


def test_deleting_a_person_with_history_is_refused_with_the_reason(admin_client, county):
    person = county.a.leader  # seated through the services: the history names them
    page = admin_client.get(reverse("admin:orgs_user_delete", args=[person.pk])).content.decode()
    assert "条操作记录，为保证历史完整不能删除" in page
    admin_client.post(reverse("admin:orgs_user_delete", args=[person.pk]), {"post": "yes"})
    assert User.objects.filter(pk=person.pk).exists()


def test_deleting_an_organisation_with_history_is_refused_but_one_without_is_not(admin_client, county):
    page = admin_client.get(reverse("admin:orgs_organisation_delete", args=[county.a.school.pk])).content.decode()
    assert "为保证历史完整不能删除" in page
    # Created outside the services (as by a fixture), so nothing in the history names it.
    empty = Organisation.objects.create(code="empty", name="空单位", kind=Organisation.Kind.SCHOOL, parent=county.bureau)
    page = admin_client.get(reverse("admin:orgs_organisation_delete", args=[empty.pk])).content.decode()
    assert "为保证历史完整不能删除" not in page
