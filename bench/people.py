"""Roster import: ``--schools`` × ``--staff-per-school`` people from one generated workbook.

Figures: dry_run_s (inspect, read and resolve against the database), import_s (the same plus the
all-or-nothing write through the orgs services, initial passwords hashed), peak_mb (this process's
peak RSS, Django included). Everything lives under a fresh bureau code prefix and is deleted at the
end (``--keep`` leaves it). Goal (issue 12): 100 schools and 2,000 people in ≤ 30 s, ≤ 300 MB.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time

from django.conf import settings
from openpyxl import Workbook

from bench.excel import cleanup


def add_arguments(parser) -> None:
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--staff-per-school", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")


def build_roster(path: str, prefix: str, schools: int, staff: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("学校")
    ws.append(["学校代码", "学校名称", "乡镇", "学段"])
    for n in range(schools):
        ws.append([f"{prefix}s{n:04d}", f"压力测试学校{prefix}{n:04d}", "城关镇", "小学"])
    ps = wb.create_sheet("教职工")
    ps.append(["学校代码", "姓名", "用户名", "手机号", "职务"])
    for n in range(schools):
        for m in range(staff):
            username = f"{prefix}u{n:04d}{m:03d}" if m % 2 else ""  # half are made from the name
            ps.append([f"{prefix}s{n:04d}", f"教师{n:04d}{m:03d}", username, f"139{n:04d}{m:04d}", "教师"])
    wb.save(path)


def run(options: dict) -> dict:
    from excel import roster
    from orgs import services as org_services
    from orgs.models import Organisation

    prefix = "pb" + format(int(time.time() * 1000) % 36**6, "x") + format(os.getpid() % 256, "x")
    schools, staff = options["schools"], options["staff_per_school"]
    bureau = org_services.organisation_create(
        actor=None, code=prefix, name=f"压力测试县{prefix}", kind=Organisation.Kind.BUREAU
    )
    try:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as handle:
            build_roster(handle.name, prefix, schools, staff)
            with open(handle.name, "rb") as f:
                started = time.perf_counter()
                dry = roster.roster_import(actor=None, bureau=bureau, fileobj=f, dry_run=True)
                dry_run_s = time.perf_counter() - started
            assert not dry.errors, [str(p) for p in dry.errors[:5]]
            with open(handle.name, "rb") as f:
                started = time.perf_counter()
                outcome = roster.roster_import(actor=None, bureau=bureau, fileobj=f)
                import_s = time.perf_counter() - started
        return {
            "db": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            "schools": schools,
            "people": len(outcome.passwords),
            "dry_run_s": round(dry_run_s, 2),
            "import_s": round(import_s, 2),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        if not options.get("keep"):
            cleanup(prefix)
