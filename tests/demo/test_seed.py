from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command

from demo.data import DEMO_PASSWORD
from orgs.models import Organisation
from plans.models import LeadingGroupMember, Plan
from tasks.models import Task

pytestmark = pytest.mark.django_db


def snapshot():
    """Every row of every project model, as values."""
    rows = {}
    for label in ("plans", "tasks", "notifications", "auth", "guardian"):
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return rows


def test_seed_demo_builds_a_county_shaped_like_the_seeds():
    call_command("seed_demo", quiet_logins=True)
    schools = Organisation.objects.filter(kind=Organisation.Kind.SCHOOL)
    assert schools.count() >= 3
    assert schools.filter(parent__kind=Organisation.Kind.CENTRE).exists()
    assert Organisation.objects.filter(kind=Organisation.Kind.SUPERVISION).exists()
    for plan in Plan.objects.all():
        assert plan.stages.count() == 3
        assert sum(s.measures.count() for s in plan.stages.all()) >= 10
        assert Task.objects.filter(plan=plan).count() >= 40
        assert plan.indicators.count() >= 5
        roles = set(plan.leading_group.values_list("role", flat=True))
        assert roles == set(LeadingGroupMember.Role.values)


def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", quiet_logins=True)
    first = snapshot()
    call_command("seed_demo", quiet_logins=True)
    assert snapshot() == first


def test_demo_logins_work(client):
    call_command("seed_demo", quiet_logins=True)
    for username in ("jyj_admin", "dd_inspector", "qsz_centre", "yz_principal", "yz_teacher1"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
        assert client.get("/").status_code == 200
        client.logout()
