"""The deadline engine's scan at scale: one first scan (every reminder owed) and a second (nothing new).

    python manage.py bench deadlines --schools 100 --tasks-per-school 300 --json

Builds a synthetic county with bench.scale.build_scale (its 实施阶段 open, tasks due over the
stage's window, so many are due soon or late), or measures an existing one with ``--prefix`` and
``--schools 0``. Both scans run inside a transaction that is rolled back, so the figures can be
taken again on the same data. Reports seconds, queries, reminders (Reminder rows) and
notifications (one digest per recipient, plan and scan).
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection, transaction

from bench.harness import QueryCounter, RolledBack
from bench.scale import build_scale
from notifications.models import Notification
from tasks.deadlines import scan_deadlines


def add_arguments(parser: Any) -> None:
    parser.add_argument("--schools", type=int, default=100, help="Schools to build (0: measure the existing data).")
    parser.add_argument("--tasks-per-school", type=int, default=300)
    parser.add_argument("--prefix", default="bench-dl")


def run(options: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if options["schools"]:
        built = build_scale(
            schools=options["schools"], tasks_per_school=options["tasks_per_school"], prefix=options["prefix"]
        )
        result.update(schools=built.schools, tasks=built.tasks)
    try:
        with transaction.atomic():
            before = Notification.objects.count()
            for label in ("first", "second"):
                queries = QueryCounter()
                with connection.execute_wrapper(queries):
                    started = time.perf_counter()
                    scan = scan_deadlines()
                    seconds = time.perf_counter() - started
                result[f"{label}_scan_s"] = round(seconds, 2)
                result[f"{label}_scan_queries"] = queries.n
                result[f"{label}_scan_reminders"] = scan.total
                if label == "first":
                    result["tasks_checked"] = scan.tasks_checked
                    result["notifications"] = Notification.objects.count() - before
            raise RolledBack
    except RolledBack:
        pass
    return result
