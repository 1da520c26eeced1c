"""Archive catalogues and zip for one school with ``--files`` filed evidence files.

Figures:
- catalogue_s: building the numbered tree (completeness included) and writing both catalogues
  (xlsx write-only + the PDF with box labels), as the archive page's downloads do;
- zip_s: streaming the whole archive zip (catalogue inside, every file read in chunks) into a sink
  that only counts bytes;
- zip_peak_mb: the peak of Python allocations (tracemalloc) during a second zip run: memory held
  by the zip itself, flat whatever the archive's size (one ``--big-mb`` file is included to show it);
- zip_mb: the zip's size;
- catalogue_cpu_s, zip_cpu_s: the same in CPU seconds of this process (the database's own time is
  not included; on SQLite it runs in-process and is).

Set-up (a throwaway school, plan, the default scheme's copy, tasks and evidence rows with real
files, filings spread over the items) uses bulk inserts; everything is deleted at the end
(``--keep`` leaves it).
"""

from __future__ import annotations

import datetime
import hashlib
import os
import time
import tracemalloc

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction


def add_arguments(parser) -> None:
    parser.add_argument("--files", type=int, default=5000, help="filed evidence files")
    parser.add_argument("--size-kb", type=int, default=16, help="size of each evidence file")
    parser.add_argument("--big-mb", type=int, default=64, help="one extra file of this size (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")


def run(options: dict) -> dict:
    # bench.settings installs viewflow.workflow, whose tables reference users: the cleanup's user
    # deletion needs them to exist (as bench transitions does, create them if missing).
    if apps.is_installed("viewflow.workflow"):
        call_command("migrate", "viewflow", interactive=False, verbosity=0)
    prefix = "ab" + format(int(time.time() * 1000) % 36**6, "x") + format(os.getpid() % 256, "x")
    stored: list[str] = []
    try:
        plan = _build(prefix, options["files"], options["size_kb"], options["big_mb"], stored)
        result = _measure(plan)
        result["db"] = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        return {"db": result.pop("db"), **result}
    finally:
        if not options.get("keep"):
            cleanup(prefix, stored)


def _build(prefix: str, files: int, size_kb: int, big_mb: int, stored: list[str]):
    from archives.models import Filing, RequiredItem
    from archives.services import archive_open, default_scheme_install
    from orgs import services as org_services
    from orgs.models import Organisation
    from plans import services as plan_services
    from tasks.models import Evidence
    from tasks.services import task_create

    bureau = org_services.organisation_create(actor=None, code=prefix + "b", name="档案压测县教育局",
                                              kind=Organisation.Kind.BUREAU)
    school = org_services.organisation_create(actor=None, code=prefix + "s", name="档案压测学校",
                                              kind=Organisation.Kind.SCHOOL, parent=bureau, level="junior")
    user = org_services.user_create(actor=None, username=prefix + "u", full_name="档案员", organisation=school,
                                    password=os.urandom(8).hex())
    plan = plan_services.plan_create(actor=None, school=school, title="档案压测方案", year=datetime.date.today().year)
    measure = plan_services.measure_create(actor=None, stage=plan.stages.get(order=1), title="档案整理")
    tasks = [task_create(actor=None, measure=measure, title=f"整理资料{n}") for n in range(10)]
    default_scheme_install()
    scheme = archive_open(actor=None, plan=plan)
    items = list(RequiredItem.objects.filter(scheme=scheme).order_by("volume__order", "order"))
    body = os.urandom(1024) * size_kb
    digest = hashlib.sha256(body).hexdigest()
    evidence = []
    for n in range(files):
        name = default_storage.save(f"bench-archive/{prefix}/{n}.bin", ContentFile(body))
        stored.append(name)
        evidence.append(Evidence(task=tasks[n % len(tasks)], file=name, original_name=f"资料{n}.pdf",
                                 content_type="application/pdf", size=len(body), sha256=digest, uploaded_by=user))
    if big_mb:
        name = default_storage.save(f"bench-archive/{prefix}/big.bin", ContentFile(os.urandom(1024 * 1024) * big_mb))
        stored.append(name)
        evidence.append(Evidence(task=tasks[0], file=name, original_name="大文件.pdf", content_type="application/pdf",
                                 size=big_mb * 1024 * 1024, sha256="", uploaded_by=user))
    with transaction.atomic():
        rows = Evidence.objects.bulk_create(evidence, batch_size=1000)
        today = datetime.date.today()
        Filing.objects.bulk_create(
            (
                Filing(plan=plan, item=items[n % len(items)], source="task", evidence=e, order=n // len(items) + 1,
                       title=f"资料{n}", document_date=today - datetime.timedelta(days=n % 1000), sha256=e.sha256)
                for n, e in enumerate(rows)
            ),
            batch_size=1000,
        )
    return plan


def _zip_once(plan) -> int:
    from archives.bundle import archive_zip
    from archives.selectors import archive_tree

    size = 0
    for chunk in archive_zip(archive_tree(plan)):
        size += len(chunk)
    return size


def _measure(plan) -> dict:
    from archives.catalogues import catalogue_pdf, catalogue_xlsx
    from archives.selectors import archive_tree
    from plans.models import Plan

    plan = Plan.objects.select_related("school").get(pk=plan.pk)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(2):
        start, cpu = time.perf_counter(), time.process_time()
        tree = archive_tree(plan)
        xlsx, pdf = catalogue_xlsx(tree), catalogue_pdf(tree)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    files = tree.file_count
    start, cpu = time.perf_counter(), time.process_time()
    size = _zip_once(plan)
    zip_s, zip_cpu = time.perf_counter() - start, time.process_time() - cpu
    tracemalloc.start()
    _zip_once(plan)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "files": files,
        "catalogue_s": round(best, 3),
        "zip_s": round(zip_s, 3),
        # CPU seconds of this process: on a shared machine, the wall time above includes waiting.
        "catalogue_cpu_s": round(best_cpu, 3),
        "zip_cpu_s": round(zip_cpu, 3),
        "zip_peak_mb": round(peak / 1024 / 1024, 1),
        "zip_mb": round(size / 1024 / 1024, 1),
        "xlsx_kb": len(xlsx) // 1024,
        "pdf_kb": len(pdf) // 1024,
    }


def cleanup(prefix: str, stored: list[str]) -> None:
    """Delete the school, its plan (archive, tasks, evidence), its users, grants, audit rows and files."""
    from audit.maintenance import audit_deletes_allowed
    from audit.models import AuditEntry
    from orgs.models import Organisation, User
    from plans.models import Plan
    from tasks.models import Task

    with transaction.atomic():
        orgs = list(Organisation.objects.filter(code__startswith=prefix).values_list("pk", flat=True))
        plans = list(Plan.objects.filter(school_id__in=orgs).values_list("pk", flat=True))
        users = User.objects.filter(organisation_id__in=orgs)
        with audit_deletes_allowed("benchmark cleanup of its archive school"):
            AuditEntry.objects.filter(plan_id__in=plans).delete()
            AuditEntry.objects.filter(target_type="orgs.organisation", target_id__in=orgs).delete()
            AuditEntry.objects.filter(target_type="orgs.user", target_id__in=users.values("pk")).delete()
        Task.objects.filter(plan_id__in=plans).delete()
        Plan.objects.filter(pk__in=plans).delete()
        Group.objects.filter(
            name__in=[f"plan:{pk}:{role}" for pk in plans for role in ("leader", "deputy", "office", "member")]
        ).delete()
        Group.objects.filter(name__startswith=f"org:{prefix}").delete()
        users.delete()
        for kind in ("school", "bureau"):
            Organisation.objects.filter(pk__in=orgs, kind=kind).delete()
    for name in stored:
        default_storage.delete(name)
