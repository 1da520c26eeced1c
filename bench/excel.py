"""Excel import and export: a 10,000-task workbook import (time, peak memory) and the county export for 500 × 300.

Figures:
- import_s, import_peak_mb: reading, checking and writing a generated workbook of ``--tasks`` tasks
  as a new plan of a throwaway school, all or nothing, in a fresh child process (its peak RSS is
  the whole process, Django included);
- export_s: the county workbook (学校汇总 + 任务明细, every task of every school) for ``--schools``
  × ``--tasks-per-school`` built with bench.scale inside the configured database, as the bureau admin;
- bare_write_s: openpyxl write-only writing exactly the same cells, in the same process, with no
  database and no escaping (the floor the export is compared with);
- hostile_max_s: the slowest refusal among the hostile files of the test suite (zip bomb, entity
  expansion, 20,000+ rows, xls, encrypted, csv renamed).

Everything is created under a fresh code prefix and deleted at the end (``--keep`` leaves it).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from openpyxl import Workbook

ROLES = ["组长", "副组长", "办公室", "成员", "资源配置组", "质量提升组", ""]


def add_arguments(parser) -> None:
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the imported workbook")
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--tasks-per-school", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2, help="export and bare write runs (best of each is kept)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--in-process", action="store_true", help="import in this process (no child; tests)")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--child-import", nargs=2, metavar=("FILE", "SCHOOL"), help=ARG_HIDDEN)


ARG_HIDDEN = "internal: run one import and print its figures"


def run(options: dict) -> dict:
    if options.get("child_import"):
        path, school = options["child_import"]
        return _timed_import(path, school)
    prefix = "xb" + format(int(time.time() * 1000) % 36**6, "x") + format(os.getpid() % 256, "x")
    result: dict = {}
    try:
        result.update(_bench_import(prefix, options))
        if not options.get("skip_export"):
            result.update(_bench_export(prefix + "c", options))
        result.update(_bench_hostile())
        result["database"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    finally:
        if not options.get("keep"):
            cleanup(prefix)
    return result


# --- import ---------------------------------------------------------------------------------------


def build_workbook(path: str, tasks: int, seed: int = 11) -> None:
    """A plan workbook of ``tasks`` tasks: 3 stages, measures of 30 tasks, role slots, 5 date spellings."""
    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("方案")
    ws.append(["压力测试实施方案"])
    ws.append(["阶段", "措施", "任务", "责任角色", "责任人", "责任单位", "开始日期", "截止日期", "权重"])
    stages = [
        ("准备阶段", datetime.date(2026, 3, 1), 30),
        ("实施阶段", datetime.date(2026, 4, 1), 200),
        ("验收阶段", datetime.date(2026, 11, 1), 45),
    ]
    per_stage = [tasks // 10, tasks - tasks // 10 - tasks // 10, tasks // 10]
    spellings = [
        lambda d: d,
        lambda d: d.isoformat(),
        lambda d: f"{d.year}/{d.month}/{d.day}",
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: f"{d.year}.{d.month}.{d.day}",
    ]
    for (name, start, days), count in zip(stages, per_stage, strict=True):
        ws.append([name, None, None, None, None, None, start, start + datetime.timedelta(days=days)])
        for i in range(count):
            measure = f"{name}措施{i // 30 + 1}"
            if i % 30 == 0:
                ws.append(
                    [
                        None,
                        measure,
                        None,
                        rng.choice(ROLES[:3]),
                        None,
                        "教导处、总务处",
                        start,
                        start + datetime.timedelta(days=days),
                        rng.choice([1, 2, 3]),
                    ]
                )
            due = start + datetime.timedelta(days=rng.randint(1, days))
            ws.append(
                [
                    None,
                    None,
                    f"{measure}任务{i % 30 + 1}",
                    rng.choice(ROLES),
                    None,
                    None,
                    spellings[i % 5](start),
                    spellings[(i + 2) % 5](due),
                    Decimal(rng.choice(["1", "1.5", "2"])),
                ]
            )
    ind = wb.create_sheet("指标")
    ind.append(["指标", "单位", "方向", "目标值", "关联措施"])
    for n in range(6):
        ind.append([f"指标{n + 1}", "%", "≥", f"{90 + n}%", "实施阶段措施1"])
    crit = wb.create_sheet("评估表")
    crit.append(["类别", "评估要点", "分值", "是否适用"])
    for n in range(20):
        crit.append([f"类别{n // 5 + 1}", f"评估要点{n + 1}", 5, "是"])
    wb.save(path)


def _timed_import(path: str, school_code: str) -> dict:
    from excel.importer import Target
    from excel.models import WorkbookImport
    from excel.services import plan_import
    from orgs.models import Organisation

    school = Organisation.objects.get(code=school_code)
    target = Target(kind=WorkbookImport.Kind.NEW_PLAN, school=school, title="压力测试实施方案", year=2026)
    started = time.perf_counter()
    with open(path, "rb") as handle:
        outcome = plan_import(actor=None, fileobj=handle, target=target, source_name=Path(path).name)
    seconds = time.perf_counter() - started
    if outcome.errors or outcome.plan is None:
        raise RuntimeError("benchmark import failed: " + "; ".join(map(str, outcome.errors[:5])))
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "import_s": round(seconds, 2),
        "import_peak_mb": round(peak_kb / 1024, 1),
        "import_tasks": outcome.spec.counts()["tasks"],
    }


def _bench_import(prefix: str, options: dict) -> dict:
    from bench.scale import build_scale

    # A school with a leading group (leader, deputy, office, members) that role slots map to.
    build_scale(schools=1, tasks_per_school=30, prefix=prefix)
    school_code = f"{prefix}-s0001"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "plan-10k.xlsx")
        build_workbook(path, options.get("tasks", 10_000))
        size_kb = os.path.getsize(path) / 1024
        if options.get("in_process"):
            figures = _timed_import(path, school_code)
        else:
            figures = _child_import(path, school_code)
    figures["import_file_kb"] = round(size_kb)
    return figures


def _child_import(path: str, school_code: str) -> dict:
    manage = Path(settings.BASE_DIR) / "manage.py"
    completed = subprocess.run(
        [sys.executable, str(manage), "bench", "excel", "--json", "--child-import", path, school_code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"import child failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- export ---------------------------------------------------------------------------------------


def _bench_export(prefix: str, options: dict) -> dict:
    from bench.scale import build_scale
    from excel.exports import county_book, county_sheets
    from orgs.models import User

    started = time.perf_counter()
    build_scale(
        schools=options.get("schools", 500), tasks_per_school=options.get("tasks_per_school", 300), prefix=prefix
    )
    build_s = time.perf_counter() - started
    admin = User.objects.get(username=f"{prefix}_admin")
    # The same cells, materialised first (not timed), then written bare.
    sheets = [
        (title, [c.header for c in columns], [list(r) for r in rows])
        for title, columns, rows in county_sheets(admin, detail=True)
    ]
    cells = sum(len(r) for _, _, rows in sheets for r in rows)
    # Alternate the two runs and keep the best of each: the machine is shared, timings are noisy.
    export_runs, bare_runs, export_bytes = [], [], 0
    for _ in range(max(1, options.get("repeat") or 2)):
        started = time.perf_counter()
        with tempfile.TemporaryFile() as handle:
            county_book(admin, detail=True).save(handle)
            export_bytes = handle.seek(0, 2)
        export_runs.append(time.perf_counter() - started)
        bare_runs.append(_bare_write(sheets))
    export_s, bare_s = min(export_runs), min(bare_runs)
    return {
        "export_s": round(export_s, 2),
        "bare_write_s": round(bare_s, 2),
        "export_ratio": round(export_s / bare_s, 2) if bare_s else None,
        "export_rows": sum(len(rows) for _, _, rows in sheets),
        "export_cells": cells,
        "export_mb": round(export_bytes / 1024 / 1024, 1),
        "scale_build_s": round(build_s, 1),
    }


def _bare_write(sheets: list[tuple[str, list[str], list[list]]]) -> float:
    started = time.perf_counter()
    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    with tempfile.TemporaryFile() as handle:
        wb.save(handle)
    return time.perf_counter() - started


# --- hostile files --------------------------------------------------------------------------------


def _bench_hostile() -> dict:
    from excel.safety import WorkbookRefused
    from excel.services import workbook_read
    from tests import excel_fixtures as fx

    base = fx.messy_plan_workbook()
    files = {
        "zip_bomb": fx.zip_bomb(base),
        "entities": fx.billion_laughs(base),
        "rows": fx.too_many_rows(),
        "xls": fx.fake_xls(),
        "encrypted": fx.fake_encrypted(),
        "csv": fx.csv_renamed(),
    }
    worst = 0.0
    for data in files.values():
        started = time.perf_counter()
        try:
            workbook_read(io.BytesIO(data))
        except WorkbookRefused:
            pass
        else:
            raise RuntimeError("a hostile file was not refused")
        worst = max(worst, time.perf_counter() - started)
    return {"hostile_max_s": round(worst, 3)}


# --- cleanup --------------------------------------------------------------------------------------


def cleanup(prefix: str) -> None:
    """Delete everything created under ``prefix`` (both scale counties, their users, grants, audit)."""
    from audit.maintenance import audit_deletes_allowed
    from audit.models import AuditEntry
    from orgs.models import Organisation, User
    from plans.models import Plan
    from tasks.models import Task

    with transaction.atomic():
        orgs = list(Organisation.objects.filter(code__startswith=prefix).values_list("pk", flat=True))
        plans = list(Plan.objects.filter(school_id__in=orgs).values_list("pk", flat=True))
        users = User.objects.filter(organisation_id__in=orgs)
        # Past the append-only triggers only through the documented flag (audit/maintenance.py).
        with audit_deletes_allowed("benchmark cleanup of its synthetic counties"):
            AuditEntry.objects.filter(actor__in=users).delete()
            AuditEntry.objects.filter(target_type="orgs.organisation", target_id__in=orgs).delete()
            AuditEntry.objects.filter(target_type="orgs.user", target_id__in=users.values("pk")).delete()
            AuditEntry.objects.filter(plan_id__in=plans).delete()
        for start in range(0, len(plans), 100):
            chunk = plans[start : start + 100]
            Task.objects.filter(plan_id__in=chunk).delete()
            Plan.objects.filter(pk__in=chunk).delete()
        Group.objects.filter(
            name__in=[f"plan:{pk}:{role}" for pk in plans for role in ("leader", "deputy", "office", "member")]
        ).delete()
        Group.objects.filter(name__startswith=f"org:{prefix}").delete()
        users.delete()
        for kind in ("school", "centre", "supervision", "bureau"):
            Organisation.objects.filter(pk__in=orgs, kind=kind).delete()
