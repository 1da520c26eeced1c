"""`manage.py bench excel` runs end to end on a small size, prints the agreed keys and leaves nothing behind."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from bench import excel as benchmarks_excel
from orgs.models import Organisation, User
from plans.models import Plan
from tasks.models import Task

pytestmark = pytest.mark.django_db


def test_bench_excel_small_run_cleans_up():
    before = (
        Organisation.objects.count(),
        User.objects.count(),
        Plan.objects.count(),
        Task.objects.count(),
        AuditEntry.objects.count(),
    )
    result = benchmarks_excel.run({"tasks": 300, "schools": 3, "tasks_per_school": 20, "in_process": True})
    assert {"import_s", "import_peak_mb", "export_s", "bare_write_s"} <= result.keys()
    assert result["import_tasks"] == 300
    assert result["export_rows"] == 3 + 3 * 20  # summary rows + task rows
    assert result["hostile_max_s"] >= 0
    after = (
        Organisation.objects.count(),
        User.objects.count(),
        Plan.objects.count(),
        Task.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before
