"""`bench archive` prints its figures and leaves nothing behind (the command's module, as the other
benchmarks' tests do: the `bench` command itself also loads viewflow's engine, which only
bench.settings installs)."""

from __future__ import annotations

import pytest

from archives.models import Filing
from audit.models import AuditEntry
from bench import archive as bench_archive
from orgs.models import Organisation

pytestmark = pytest.mark.django_db


def test_bench_archive_prints_its_figures_and_cleans_up():
    audit = AuditEntry.objects.count()
    result = bench_archive.run({"files": 30, "size_kb": 1, "big_mb": 1})
    assert {"db", "files", "catalogue_s", "zip_s", "zip_peak_mb"} <= set(result)
    assert result["files"] == 31 and result["zip_mb"] >= 1 and result["zip_peak_mb"] > 0
    assert not Filing.objects.exists() and not Organisation.objects.filter(name="档案压测学校").exists()
    assert AuditEntry.objects.count() <= audit + 1  # at most the default scheme's installation
