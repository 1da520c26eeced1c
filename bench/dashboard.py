"""Dashboards at scale: county, school and "我的待办" pages rendered server-side (p50/p95, queries).

    python manage.py bench dashboard --schools 500 --tasks-per-school 300 --json
    python manage.py bench dashboard --schools 2000 --counties 4 --prefix bdc --reuse --json

With ``--counties K`` the schools are split into K counties under one city bureau (市教育局), and the
city's dashboard is measured too (key ``city``; ``county`` is then the first county). ``--reuse`` with
a ``--prefix`` already built measures that data again instead of building it (a 2,000-school city
takes minutes to build on a busy machine).

Builds a synthetic county with bench.scale.build_scale in the configured database under a fresh
prefix (so it can run again on the same database; the rows stay, as with seed_scale), adds a
history of readings and audit rows so that every dashboard query has data to chew on, then renders
each page through Django's test client (the whole middleware stack, session and all) as the
county's admin, a school's principal and a member.
"""

from __future__ import annotations

import datetime
import gc
import math
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from bench.scale import build_scale
from orgs import grants
from orgs.models import Organisation, User
from plans.models import Indicator, IndicatorReading, Plan
from tasks.models import Task

BATCH = 2000


def add_arguments(parser) -> None:
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--tasks-per-school", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=30, help="Timed renders per page (after two warm-ups).")
    parser.add_argument("--prefix", default="", help="Code prefix of the synthetic county (default: a fresh one).")
    parser.add_argument("--counties", type=int, default=1, help="Split the schools into K counties under one city.")
    parser.add_argument("--reuse", action="store_true", help="Measure the data built earlier under --prefix.")


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def _enrich(prefix: str, today: datetime.date, *, vacuum: bool = True) -> None:
    """Four more readings per indicator and twenty audit rows per plan, in bulk."""
    indicators = list(Indicator.objects.filter(plan__school__code__startswith=f"{prefix}-").only("id", "target"))
    readings = [
        IndicatorReading(
            indicator_id=ind.pk,
            value=(ind.target * Decimal(0.8 + 0.05 * k)).quantize(Decimal("0.01")),
            measured_on=today - datetime.timedelta(days=70 + 30 * k),
        )
        for ind in indicators
        for k in range(4)
    ]
    IndicatorReading.objects.bulk_create(readings, batch_size=BATCH)
    plan_ids = list(Plan.objects.filter(school__code__startswith=f"{prefix}-").values_list("pk", flat=True))
    entries = [
        AuditEntry(
            action="tasks.task.closed",
            plan_id=pid,
            target_type="tasks.task",
            target_id=k,
            from_state="submitted",
            to_state="closed",
        )
        for pid in plan_ids
        for k in range(20)
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=BATCH)
    if vacuum:
        _vacuum()


def _vacuum() -> None:
    # Fresh bulk-loaded tables have no planner statistics and, on PostgreSQL, no visibility map
    # yet (autovacuum gets to them minutes later, at a moment no run controls): a production
    # database has both, so measure with both. Without VACUUM the rollups' index-only scan fetched
    # heap pages or not depending on autovacuum's timing, and the county page's p95 moved by 20 %
    # between two runs of the same code.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _measure(client: Client, url: str, repeat: int) -> dict[str, Any]:
    secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))
    for _ in range(2):
        response = client.get(url, secure=secure)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    reset_queries()  # the log is capped (9000): after the bulk build it is full and would count nothing
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, secure=secure)
    # Read the count now: the captured queries are a slice of the connection's query log, which
    # every later request clears (request_started → reset_queries). Read after the timed renders,
    # it was empty with DEBUG off (0 queries) and, with DEBUG on, counted the wrong request.
    queries = len(ctx.captured_queries)
    db_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    # As planhub.asgi does once the application is loaded: what lives as long as the process is
    # kept out of the collector's full passes.
    gc.collect()
    gc.freeze()
    timings, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url, secure=secure)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    timings.sort()
    return {
        "url": url,
        "queries": queries,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[max(0, math.ceil(0.95 * len(timings)) - 1)], 1),
        "max_ms": round(timings[-1], 1),
        # On a shared machine: this process's CPU per render (Python, psycopg; not the database
        # server's) and the database time of the counted render as the client waited for it.
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "db_ms": round(db_ms, 1),
        "bytes": len(response.content),
    }


def _client(user: User) -> Client:
    client = Client(HTTP_HOST=_host())
    client.force_login(user)
    return client


def run(options: dict[str, Any]) -> dict[str, Any]:
    with _static_files_ready():
        return _run(options)


@contextmanager
def _static_files_ready() -> Iterator[None]:
    """Pages link their CSS through the static storage. In production settings that is the hashed
    manifest storage, which needs ``collectstatic``: when its manifest is missing, collect into a
    temporary STATIC_ROOT for this run, so the pages are measured as production serves them."""
    storage = storages["staticfiles"]
    if not isinstance(storage, ManifestFilesMixin) or storage.exists(storage.manifest_name):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="planhub-bench-static-") as root:
        with override_settings(STATIC_ROOT=root):
            call_command("collectstatic", interactive=False, verbosity=0)
            yield


def _county_prefixes(prefix: str, counties: int) -> list[str]:
    return [prefix] if counties <= 1 else [f"{prefix}k{k}" for k in range(1, counties + 1)]


def _build(prefix: str, schools: int, per_school: int, counties: int) -> tuple[int, float]:
    """Build the county (or the K counties and their city); (tasks, seconds)."""
    started = time.perf_counter()
    today = timezone.localdate()
    tasks = 0
    prefixes = _county_prefixes(prefix, counties)
    for k, sub in enumerate(prefixes):
        share = schools // len(prefixes) + (1 if k < schools % len(prefixes) else 0)
        tasks += build_scale(schools=share, tasks_per_school=per_school, prefix=sub).tasks
        _enrich(sub, today, vacuum=False)
    if counties > 1:
        _attach_city(prefix, prefixes)
    _vacuum()
    return tasks, time.perf_counter() - started


def _attach_city(prefix: str, prefixes: list[str]) -> None:
    """A city bureau over the counties, through the grant path organisation_update takes, and its user."""
    city = Organisation.objects.create(code=f"{prefix}-city", name=f"{prefix} 市教育局", kind=Organisation.Kind.CITY)
    for sub in prefixes:
        bureau = Organisation.objects.get(code=f"{sub}-jyj")
        bureau.parent = city
        bureau.save(update_fields=["parent"])
        grants.resync_county_visibility(bureau)
    user = User.objects.create_user(username=f"{prefix}_city", password=None, full_name="市局督导", organisation=city)
    grants.sync_user_organisation(user)


def _run(options: dict[str, Any]) -> dict[str, Any]:
    schools, per_school, repeat = options["schools"], options["tasks_per_school"], max(1, options["repeat"])
    counties = max(1, options.get("counties") or 1)
    prefix = options.get("prefix") or f"bd{timezone.now():%y%m%d%H%M%S}"
    first = _county_prefixes(prefix, counties)[0]
    if options.get("reuse") and Organisation.objects.filter(code=f"{first}-jyj").exists():
        tasks, seconds = Task.objects.filter(plan__school__code__startswith=prefix).count(), 0.0
    else:
        tasks, seconds = _build(prefix, schools, per_school, counties)
    plan = Plan.objects.get(school__code=f"{first}-s0001")
    admin = User.objects.get(username=f"{first}_admin")
    principal = User.objects.get(username=f"{first}_s0001_0")
    member = User.objects.get(username=f"{first}_s0001_3")
    result: dict[str, Any] = {
        "db": connection.vendor,
        "db_version": ".".join(str(p) for p in connection.Database.sqlite_version_info)
        if connection.vendor == "sqlite"
        else str(connection.pg_version if hasattr(connection, "pg_version") else ""),
        "schools": schools,
        "tasks": tasks,
        "prefix": prefix,
        "build_s": round(seconds, 1),
        "repeat": repeat,
        "county": _measure(_client(admin), reverse("dashboards:county"), repeat),
        "school": _measure(_client(principal), reverse("dashboards:school", args=[plan.pk]), repeat),
    }
    result["inbox"] = _measure(_client(member), reverse("inbox"), repeat)
    if counties > 1:
        result["counties"] = counties
        city_user = User.objects.get(username=f"{prefix}_city")
        result["city"] = _measure(_client(city_user), reverse("dashboards:county"), repeat)
    result["load_avg"] = [round(x, 2) for x in os.getloadavg()]  # the machine is shared: say how busy
    return result
