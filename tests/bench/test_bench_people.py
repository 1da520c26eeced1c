"""`manage.py bench people` runs end to end on a small size, prints the agreed keys and leaves nothing behind."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEntry
from bench import people as bench_people
from orgs.models import Organisation, User

pytestmark = pytest.mark.django_db


def _counts():
    return (Organisation.objects.count(), User.objects.count(), Group.objects.count(), AuditEntry.objects.count())


def test_bench_people_small_run_cleans_up():
    before = _counts()
    result = bench_people.run({"schools": 3, "staff_per_school": 4})
    assert set(result) == {"db", "schools", "people", "dry_run_s", "import_s", "peak_mb"}
    assert (result["schools"], result["people"]) == (3, 12)
    assert _counts() == before
