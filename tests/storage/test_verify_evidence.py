"""`manage.py verify_evidence`: after a restore, every evidence row (task, indicator reading,
rectification, archive filing) must find its file with the bytes it recorded."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from acceptance.models import RectificationItem
from acceptance.services import rectification_assign, rectification_submit
from archives import services as archive_services
from archives.models import Filing
from audit.models import AuditEntry
from dashboards.services import indicator_report
from tasks.models import Evidence
from tests.acceptance.test_rectification_deadlines import failed
from tests.archives.helpers import days_ago, item, opened
from tests.storage.test_object_storage import run
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db


def every_kind(county):
    a = county.a
    scheme, (evidence, _) = opened(a)
    reading = indicator_report(
        actor=a.leader, indicator=a.indicator, value=26, measured_on=timezone.localdate(), evidence=pdf("图书台账.pdf")
    )
    filing = archive_services.filing_create(
        actor=a.office,
        plan=a.plan,
        item=item(scheme, "逐项自评表"),
        source="task",
        source_id=evidence.pk,
        title="",
        document_date=days_ago(1),
    )
    rectification, _ = failed(county, a)
    rectification_assign(actor=a.office, item=rectification, owner=a.member, due_on=timezone.localdate())
    rectification = rectification_submit(actor=a.member, item=rectification, note="已整改", upload=pdf("整改.pdf"))
    return evidence, reading, filing, rectification


def test_a_consistent_store_passes_with_a_summary_per_kind(county):
    every_kind(county)
    code, out = run("verify_evidence")
    assert code == 0, out
    tasks = Evidence.objects.count()  # opened() files two; the 请验 before the inspection files more
    assert f"任务佐证 (tasks.Evidence): {tasks} rows, {tasks} hashes compared, 0 problems." in out
    assert "指标读数佐证 (plans.IndicatorReading): 1 rows, 1 hashes compared, 0 problems." in out
    assert "整改佐证 (acceptance.RectificationItem): 1 rows, 1 hashes compared, 0 problems." in out
    assert "归档文件 (archives.Filing): 1 rows, 1 hashes compared, 0 problems." in out
    assert out.rstrip().splitlines()[-1].startswith(f"Evidence consistent: {tasks + 3} rows")


def test_deleted_and_altered_files_are_each_reported_and_fail_the_check(county):
    evidence, reading, filing, rectification = every_kind(county)
    with open(default_storage.path(evidence.file.name), "r+b") as handle:
        handle.seek(10)
        handle.write(b"tampered")  # same size, other bytes: only the hash can tell
    default_storage.delete(reading.evidence.name)
    default_storage.delete(rectification.evidence.name)

    code, out = run("verify_evidence")
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith(("MISSING", "CHANGED", "UNREADABLE"))]
    assert len(problems) == 3, out
    assert f"CHANGED: tasks.Evidence #{evidence.pk} {evidence.file.name}: SHA-256 " in out
    assert f"MISSING: plans.IndicatorReading #{reading.pk} {reading.evidence.name}" in out
    assert f"MISSING: acceptance.RectificationItem #{rectification.pk} {rectification.evidence.name}" in out
    assert f"Evidence NOT consistent: 3 problems in {Evidence.objects.count() + 3} rows." in out

    # A filing whose recorded hash disagrees with its evidence row (a restore mixing two points).
    Filing.objects.filter(pk=filing.pk).update(sha256="0" * 64)
    code, out = run("verify_evidence")
    assert f"CHANGED: archives.Filing #{filing.pk} was filed with SHA-256 {'0' * 64}, its evidence records" in out

    # Existence only: the altered file passes, the deleted ones do not.
    code, out = run("verify_evidence", "--no-hash", "--jobs", "1")
    assert code == 1 and "CHANGED" not in out and out.count("MISSING: ") == 2


def test_rectification_evidence_is_hashed_at_submission_and_a_changed_file_is_reported(county):
    _, _, _, rectification = every_kind(county)
    with default_storage.open(rectification.evidence.name, "rb") as handle:
        assert rectification.evidence_sha256 == hashlib.sha256(handle.read()).hexdigest()
    entry = AuditEntry.objects.get(action="acceptance.rectification.submit", target_id=str(rectification.pk))
    assert entry.data["sha256"] == rectification.evidence_sha256
    with open(default_storage.path(rectification.evidence.name), "r+b") as handle:
        handle.seek(10)
        handle.write(b"tampered")

    code, out = run("verify_evidence")
    assert code == 1
    assert f"CHANGED: acceptance.RectificationItem #{rectification.pk} {rectification.evidence.name}: SHA-256 " in out

    # An item submitted before hashes were kept: its file's existence is all there is to check.
    RectificationItem.objects.filter(pk=rectification.pk).update(evidence_sha256="")
    code, out = run("verify_evidence")
    assert code == 0, out
    assert "整改佐证 (acceptance.RectificationItem): 1 rows, 0 hashes compared, 0 problems." in out
