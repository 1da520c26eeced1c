"""History pages and verify_audit at scale: keyset pages (p50/p95, queries), an export, the chain check.

    python manage.py bench history --rows 5000000 --schools 500 --json

Builds a synthetic county with bench.scale.build_scale under a fresh prefix, then appends ``rows``
audit entries spread over its plans and tasks over the last 90 days (the rows stay, as with
seed_scale). On PostgreSQL the builder computes the chain itself (the same canonical bytes and
hashes as audit.chain, under the same head-row lock) and streams the rows with COPY; elsewhere it
goes through audit.services.audit_record_many. ``--prefix`` measures an existing county again
without building (``--rows 0``). It measures through Django's test client:
a plan's history (its principal), the county history (the bureau's admin), a filtered county page
(one action, one township, a date range) and the page after it (cursor); then the xlsx export of
10,000 rows and ``verify_audit`` over the whole chain.
"""

from __future__ import annotations

import datetime
import random
import time
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.chain import _locked_head, canonical_json, entry_hash, utc_text, verify
from audit.models import AuditEntry
from audit.services import audit_entry, audit_record_many
from bench.dashboard import _client, _measure, _static_files_ready
from bench.scale import build_scale
from history import selectors
from history.exports import history_book
from orgs.models import Organisation, User
from tasks.models import Task

BATCH = 5000
ACTIONS = [
    ("tasks.task.assigned", "unassigned", "assigned"),
    ("tasks.task.started", "assigned", "in_progress"),
    ("tasks.task.submitted", "in_progress", "submitted"),
    ("tasks.task.closed", "submitted", "closed"),
    ("tasks.task.returned", "submitted", "returned"),
    ("tasks.task.waived", "assigned", "closed"),
]


def add_arguments(parser) -> None:
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--tasks-per-school", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--prefix", default="", help="Measure an county built earlier (no build).")
    parser.add_argument("--no-verify", action="store_true", help="Skip verify_audit.")


def _append(prefix: str, rows: int) -> float:
    started = time.perf_counter()
    tasks = list(
        Task.objects.filter(plan__school__code__startswith=f"{prefix}-").values_list("pk", "plan_id", "assignee_id")
    )
    if connection.vendor == "postgresql":
        _copy(tasks, rows)
    else:
        _bulk(tasks, rows)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE audit_auditentry" if connection.vendor == "postgresql" else "ANALYZE")
    return time.perf_counter() - started


COPY_BATCH = 250_000
NULL = "\\N"
COPY_COLUMNS = ("created_at", "actor_id", "action", "plan_id", "target_type", "target_id", "from_state",
                "to_state", "reason", "data", "seq", "canonical", "prev_hash", "hash")


def _copy_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy(tasks: list[tuple[int, int, int]], rows: int) -> None:
    """COPY ``rows`` chained entries, in transactions of COPY_BATCH, each holding the head row."""
    rng = random.Random(11)
    now = timezone.now()
    start = now - datetime.timedelta(days=90)
    step = (now - start) / max(rows, 1)
    sql = f"COPY audit_auditentry ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    written = 0
    while written < rows:
        n = min(COPY_BATCH, rows - written)
        with transaction.atomic():
            head = _locked_head()
            seq, prev = head.seq, head.hash
            lines = []
            for i in range(written, written + n):
                pk, plan_id, assignee = tasks[rng.randrange(len(tasks))]
                action, old, new = ACTIONS[rng.randrange(len(ACTIONS))]
                reason = "bench" if action in ("tasks.task.returned", "tasks.task.waived") else ""
                at = utc_text(start + step * i)
                seq += 1
                canonical = canonical_json({
                    "seq": seq, "prev": prev, "at": at, "actor": assignee, "action": action, "plan": plan_id,
                    "target_type": "tasks.task", "target_id": pk, "from": old, "to": new, "reason": reason, "data": {},
                })
                digest = entry_hash(canonical)
                lines.append(
                    f"{at}\t{NULL if assignee is None else assignee}\t{action}\t{plan_id}\ttasks.task\t{pk}\t{old}\t{new}\t{reason}\t{{}}\t{seq}\t"
                    f"{_copy_text(canonical)}\t{prev}\t{digest}\n"
                )
                prev = digest
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                copy.write("".join(lines).encode("utf-8"))
            head.seq, head.hash = seq, prev
            head.save(update_fields=["seq", "hash"])
        written += n


def _bulk(tasks: list[tuple[int, int, int]], rows: int) -> None:
    rng = random.Random(11)
    written = 0
    while written < rows:
        n = min(BATCH, rows - written)
        entries = []
        for _ in range(n):
            pk, plan_id, assignee = tasks[rng.randrange(len(tasks))]
            action, old, new = ACTIONS[rng.randrange(len(ACTIONS))]
            entry = audit_entry(
                actor=None, action=action, target=Task(pk=pk), plan=plan_id, old=old, new=new,
                reason="bench" if action in ("tasks.task.returned", "tasks.task.waived") else "",
            )
            entry.actor_id = assignee
            entries.append(entry)
        with transaction.atomic():
            audit_record_many(entries)
        written += n


def run(options: dict[str, Any]) -> dict[str, Any]:
    with _static_files_ready():
        return _run(options)


def _run(options: dict[str, Any]) -> dict[str, Any]:
    repeat = max(1, options["repeat"])
    prefix, build_s = options["prefix"], 0.0
    if not prefix:
        prefix = f"bh{timezone.now():%y%m%d%H%M%S}"
        build_s = build_scale(schools=options["schools"], tasks_per_school=options["tasks_per_school"],
                              prefix=prefix).seconds
    append_s = _append(prefix, options["rows"]) if options["rows"] else 0.0
    admin = User.objects.get(username=f"{prefix}_admin")
    principal = User.objects.get(username=f"{prefix}_s0001_0")
    plan_id = Task.objects.filter(plan__school__code=f"{prefix}-s0001").values_list("plan_id", flat=True).first()
    township = (
        Organisation.objects.filter(code__startswith=f"{prefix}-s").exclude(township="")
        .values_list("township", flat=True).first() or ""
    )
    week_ago = (timezone.localdate() - datetime.timedelta(days=7)).isoformat()
    today = timezone.localdate().isoformat()
    county = reverse("history:county")
    filtered = f"{county}?action=tasks.task.waived&from={week_ago}&to={today}" + (f"&township={township}" if township else "")
    first = selectors.county_entries(admin, selectors.parse_filters(_query(filtered)))
    _, cursor = selectors.page(first, None)
    result: dict[str, Any] = {
        "db": connection.vendor,
        "rows": AuditEntry.objects.count(),
        "appended": options["rows"],
        "schools": options["schools"],
        "prefix": prefix,
        "build_s": round(build_s, 1),
        "append_s": round(append_s, 1),
        "plan_page": _measure(_client(principal), reverse("history:plan", args=[plan_id]), repeat),
        "county_page": _measure(_client(admin), county, repeat),
        "filtered_page": _measure(_client(admin), filtered, repeat),
        "filtered_next_page": _measure(_client(admin), f"{filtered}&before={cursor}", repeat) if cursor else None,
    }
    started = time.perf_counter()
    entries = selectors.county_entries(admin, selectors.HistoryFilters()).select_related("actor").order_by("-seq")[:10000]
    history_book(entries, county=True).save().close()
    result["export_10k_rows_s"] = round(time.perf_counter() - started, 2)
    if not options["no_verify"]:
        started = time.perf_counter()
        verdict = verify()
        result["verify_s"] = round(time.perf_counter() - started, 1)
        result["verify_intact"] = verdict.intact
    return result


def _query(url: str):
    from django.http import QueryDict

    return QueryDict(url.partition("?")[2])
