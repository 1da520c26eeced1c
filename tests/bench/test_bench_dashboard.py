"""`manage.py bench dashboard` counts the queries of each page with DEBUG off, as in production.

It used to read the captured queries after the timed renders, when every later request had
already cleared the connection's query log: 0 queries with DEBUG off, which is a broken counter,
not a fast page.
"""

from __future__ import annotations

import pytest
from django.conf import settings

from bench import dashboard

pytestmark = pytest.mark.django_db(transaction=True)


def test_query_counts_are_real_with_debug_off():
    assert settings.DEBUG is False
    result = dashboard.run({"schools": 3, "tasks_per_school": 10, "repeat": 2, "prefix": "qc"})
    counts = {page: result[page]["queries"] for page in ("county", "school", "inbox")}
    # The pages' budgets (tests/dashboards, tests/workflows): a handful each, never zero.
    assert all(5 <= n <= 20 for n in counts.values()), counts
