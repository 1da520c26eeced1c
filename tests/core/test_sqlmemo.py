"""core.sqlmemo keeps compiled SQL, never data: the scope selectors built on it answer from the
database as it is when they run, for the same user object and across grant changes."""

from __future__ import annotations

import pytest

from core import sqlmemo
from orgs.grants import sync_user_organisation
from orgs.selectors import visible_organisations
from plans import services
from plans.models import Plan
from plans.selectors import plan_ids_granted, visible_plans


def test_a_key_is_compiled_once():
    calls = []

    def build():
        calls.append(1)
        return Plan.objects.filter(pk=1).values("pk")

    first = sqlmemo.compiled(("test", 1), build)
    second = sqlmemo.compiled(("test", 1), build)
    assert first == second and len(calls) == 1
    sqlmemo.compiled(("test", 2), build)
    assert len(calls) == 2


@pytest.mark.django_db
def test_grants_changed_later_show_at_once_for_the_same_user_object(county):
    user = county.a.staff
    assert set(visible_plans(user)) == {county.a.plan}
    assert plan_ids_granted(user, "manage_plan_tasks")["manage_plan_tasks"] == set()
    services.seat_set(actor=None, plan=county.a.plan, user=user, role="office")
    # The same user object, no cache dropped: the compiled queries read the new grants.
    assert plan_ids_granted(user, "manage_plan_tasks")["manage_plan_tasks"] == {county.a.plan.pk}
    services.seat_remove(actor=None, plan=county.a.plan, user=user)
    user.organisation = county.b.school
    user.save(update_fields=["organisation"])
    sync_user_organisation(user)
    assert set(visible_plans(user)) == {county.b.plan}


@pytest.mark.django_db
def test_a_new_plan_of_a_visible_school_shows_at_once(county):
    bureau_user = county.bureau_admin
    before = set(visible_plans(bureau_user).values_list("pk", flat=True))
    plan = Plan.objects.create(school=county.a.school, title="第二个方案", year=2027)
    assert set(visible_plans(bureau_user).values_list("pk", flat=True)) == before | {plan.pk}
    assert county.c.school not in set(visible_organisations(bureau_user))


@pytest.mark.django_db
def test_users_never_share_a_compiled_scope(county):
    a, c = county.a.member, county.c.member
    assert set(visible_plans(a)) == {county.a.plan}
    assert set(visible_plans(c)) == {county.c.plan}


@pytest.mark.django_db
def test_count_sum_adds_the_parts_in_one_query(county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orgs.models import Organisation

    parts = [
        (("test.plans", 1), lambda: Plan.objects.all()),
        (("test.schools", 1), lambda: Organisation.objects.filter(kind=Organisation.Kind.SCHOOL)),
        (("test.none", 1), lambda: Plan.objects.none()),  # counts 0, adds nothing to the query
    ]
    expected = Plan.objects.count() + Organisation.objects.filter(kind=Organisation.Kind.SCHOOL).count()
    assert expected > 0
    with CaptureQueriesContext(connection) as queries:
        assert sqlmemo.count_sum(parts) == expected
    assert len(queries.captured_queries) == 1
    Plan.objects.create(school=county.a.school, title="又一个方案", year=2027)
    assert sqlmemo.count_sum(parts) == expected + 1  # the SQL is kept, never the number
    assert sqlmemo.count_sum([]) == 0
