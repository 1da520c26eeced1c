"""Nobody sees another school's data: pages answer 404, rows never appear in a list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs.selectors import visible_schools
from plans.selectors import visible_plans
from tasks.selectors import visible_tasks
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def school_a_urls(county):
    a = county.a
    return [
        reverse("plans:plan_detail", args=[a.plan.pk]),
        reverse("plans:school_detail", args=[a.school.pk]),
        *[reverse("tasks:task_detail", args=[t.pk]) for t in a.tasks],
    ]


@pytest.mark.parametrize("who", ["leader", "office", "member", "staff"])
def test_school_b_people_get_404_on_every_school_a_page(client, county, who):
    login(client, getattr(county.b, who))
    for url in school_a_urls(county):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "页面不存在" in response.content.decode()


def test_other_county_bureau_gets_404_on_school_a(client, county):
    login(client, county.other_bureau_user)
    for url in school_a_urls(county):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("who", ["leader", "member", "staff"])
def test_school_b_sees_no_school_a_rows(client, county, who):
    user = getattr(county.b, who)
    assert set(visible_plans(user)) == {county.b.plan}
    assert set(visible_schools(user)) == {county.b.school}
    assert not visible_tasks(user).filter(plan=county.a.plan).exists()
    body = login(client, user).get(reverse("home")).content.decode()
    assert "a学校" not in body and "c学校" not in body


def test_school_a_people_see_their_plan(client, county):
    login(client, county.a.staff)
    response = client.get(reverse("plans:plan_detail", args=[county.a.plan.pk]))
    assert response.status_code == 200
    assert "只读" in response.content.decode()


def test_bureau_and_supervision_office_see_all_their_schools_but_not_the_other_county(county):
    for user in (county.bureau_admin, county.inspector):
        assert set(visible_schools(user)) == {county.a.school, county.b.school}
        assert set(visible_plans(user)) == {county.a.plan, county.b.plan}


def test_centre_school_sees_only_the_schools_under_it(client, county):
    assert set(visible_plans(county.centre_head)) == {county.b.plan}
    login(client, county.centre_head)
    assert client.get(reverse("plans:plan_detail", args=[county.b.plan.pk])).status_code == 200
    assert client.get(reverse("plans:plan_detail", args=[county.a.plan.pk])).status_code == 404


def test_bureau_home_lists_its_schools(client, county):
    body = login(client, county.inspector).get(reverse("home")).content.decode()
    assert "a学校" in body and "b学校" in body and "c学校" not in body


def test_unknown_ids_answer_404_in_chinese(client, county):
    login(client, county.a.leader)
    for url in ("/plans/999999/", "/tasks/999999/", "/plans/schools/999999/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "页面不存在" in response.content.decode()


def test_school_page_of_a_bureau_is_404(client, county):
    login(client, county.a.leader)
    assert client.get(reverse("plans:school_detail", args=[county.bureau.pk])).status_code == 404


@pytest.mark.parametrize("who", ["leader", "member", "staff"])
def test_school_people_cannot_open_the_admin(client, county, who):
    login(client, getattr(county.a, who))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    response = client.get(f"/admin/tasks/task/{county.a.tasks[0].pk}/change/")
    assert response.status_code == 302


def test_staff_bureau_admin_opens_the_admin(client, county):
    from django.contrib.auth.models import Permission

    county.bureau_admin.user_permissions.add(*Permission.objects.filter(codename__startswith="view_"))
    login(client, county.bureau_admin)
    assert client.get("/admin/").status_code == 200


def test_anonymous_is_sent_to_login(client, county):
    for url in ["/", *school_a_urls(county)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
