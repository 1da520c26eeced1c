"""`manage.py bench history` builds chained rows through the real bulk path and measures the pages."""

from __future__ import annotations

import pytest

from bench import history

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_history_reports_pages_export_and_an_intact_chain():
    result = history.run(
        {"rows": 300, "schools": 3, "tasks_per_school": 2, "repeat": 1, "prefix": "", "no_verify": False}
    )
    assert result["appended"] == 300 and result["rows"] >= 300
    for page in ("plan_page", "county_page", "filtered_page"):
        assert 3 <= result[page]["queries"] <= 20, (page, result[page])
    assert result["verify_intact"] is True and result["export_10k_rows_s"] >= 0
