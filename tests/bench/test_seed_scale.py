"""`manage.py seed_scale` builds a synthetic county whose grants work like the real ones."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from orgs.models import Organisation, User
from plans.selectors import visible_plans
from tasks.models import Task

pytestmark = pytest.mark.django_db


def test_seed_scale_builds_a_synthetic_county():
    call_command("seed_scale", schools=3, tasks_per_school=30, prefix="t")
    assert Organisation.objects.filter(code__startswith="t-s").count() == 3
    assert Task.objects.filter(plan__school__code__startswith="t-s").count() == 90
    admin = User.objects.get(username="t_admin")
    assert visible_plans(admin).count() == 3
    member = User.objects.get(username="t_s0001_3")
    assert list(visible_plans(member).values_list("school__code", flat=True)) == ["t-s0001"]
