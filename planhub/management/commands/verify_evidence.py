"""`manage.py verify_evidence [--no-hash] [--jobs N]`: is every evidence row's file in storage, with
the bytes its row recorded? Run it after restoring a backup (database and evidence store), before
opening the site again (README, "Backup and restore").

Checked, through the storage the settings name (STORAGE_URL), a row at a time and a file chunk by
chunk (never a whole file or the whole table in memory):

- task evidence (tasks.Evidence): the file exists and its SHA-256 is the row's;
- indicator readings' evidence (plans.IndicatorReading, voided ones too): the same, when the row
  has a hash (readings reported before hashes were kept have none: existence only);
- rectification evidence (acceptance.RectificationItem): the same, when the row has a hash (items
  submitted before hashes were kept have none: existence only);
- archive filings (archives.Filing): the filed evidence still has the bytes it had when filed (a
  filing of hashed evidence agrees with its evidence row's hash, whose own line checks the file).

Output: one summary line per kind, then one line per problem (MISSING, CHANGED, UNREADABLE).
Exit code 0 consistent; 1 a file is missing, changed or could not be read. Files in storage that no
row names (uploads refused after they were stored, while the store was failing) are not problems.
This command lives in the project package because it reads the models of every app.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.files.storage import Storage, default_storage
from django.core.management.base import BaseCommand, CommandParser

from acceptance.models import RectificationItem
from archives.models import Filing
from core.storage import is_missing, read_chunks, storage_errors
from plans.models import IndicatorReading
from tasks.models import Evidence

BATCH = 500


@dataclass(frozen=True)
class Row:
    label: str  # "tasks.Evidence #12", for the report
    name: str  # the stored file's name
    expected: str  # the SHA-256 the row recorded, "" when it keeps none
    # A filing's source row's own hash: when it has one, that row's line already compared the file
    # with it, so the filing only has to agree with it (each file is read once, not twice).
    source_digest: str = ""


@dataclass
class Tally:
    title: str
    rows: int = 0
    hashed: int = 0
    nbytes: int = 0
    problems: list[str] = field(default_factory=list)


def _rows() -> Iterator[tuple[str, Iterable[Row]]]:
    """Each kind of evidence row with the file it names; iterated in chunks, by primary key."""
    yield (
        "任务佐证 (tasks.Evidence)",
        (
            Row(f"tasks.Evidence #{pk}", name, digest)
            for pk, name, digest in Evidence.objects.order_by("pk").values_list("pk", "file", "sha256").iterator(2000)
        ),
    )
    readings = IndicatorReading.all_objects.exclude(evidence="").order_by("pk")
    yield (
        "指标读数佐证 (plans.IndicatorReading)",
        (
            Row(f"plans.IndicatorReading #{pk}", name, digest)
            for pk, name, digest in readings.values_list("pk", "evidence", "evidence_sha256").iterator(2000)
        ),
    )
    items = RectificationItem.objects.exclude(evidence="").order_by("pk")
    yield (
        "整改佐证 (acceptance.RectificationItem)",
        (
            Row(f"acceptance.RectificationItem #{pk}", name, digest)
            for pk, name, digest in items.values_list("pk", "evidence", "evidence_sha256").iterator(2000)
        ),
    )
    filings = Filing.objects.exclude(sha256="").order_by("pk")
    columns = (
        "pk",
        "sha256",
        "evidence__file",
        "evidence__sha256",
        "reading__evidence",
        "reading__evidence_sha256",
        "rectification__evidence",
        "rectification__evidence_sha256",
    )
    yield (
        "归档文件 (archives.Filing)",
        (
            Row(
                f"archives.Filing #{pk}",
                task_file or reading_file or item_file or "",
                digest,
                source_digest=task_digest or reading_digest or item_digest or "",
            )
            for (
                pk,
                digest,
                task_file,
                task_digest,
                reading_file,
                reading_digest,
                item_file,
                item_digest,
            ) in filings.values_list(*columns).iterator(2000)
        ),
    )


def _check(storage: Storage, row: Row, hash_files: bool) -> tuple[str | None, int]:
    """(problem or None, bytes read) for one row's file."""
    if not row.name:
        return f"MISSING: {row.label} names no file.", 0
    if row.source_digest:
        if hash_files and row.source_digest != row.expected:
            return (
                f"CHANGED: {row.label} was filed with SHA-256 {row.expected}, its evidence records {row.source_digest}",
                0,
            )
        return None, 0
    try:
        if not (hash_files and row.expected):
            return (None if storage.exists(row.name) else f"MISSING: {row.label} {row.name}"), 0
        digest, size = hashlib.sha256(), 0
        for chunk in read_chunks(storage, row.name):
            digest.update(chunk)
            size += len(chunk)
    except storage_errors() as exc:
        if is_missing(exc):
            return f"MISSING: {row.label} {row.name}", 0
        return f"UNREADABLE: {row.label} {row.name}: {exc!r}", 0
    actual = digest.hexdigest()
    if actual != row.expected:
        return f"CHANGED: {row.label} {row.name}: SHA-256 {actual} ≠ {row.expected} (recorded)", size
    return None, size


def _where(storage: Any) -> str:
    if getattr(storage, "bucket_name", None):
        endpoint = getattr(storage, "endpoint_url", None) or "the default endpoint"
        prefix = f"/{storage.location}" if getattr(storage, "location", "") else ""
        return f"bucket {storage.bucket_name}{prefix} at {endpoint}"
    return f"folder {getattr(storage, 'location', '?')}"


class Command(BaseCommand):
    help = "Check that every evidence row's file is in storage and has the SHA-256 its row recorded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-hash", action="store_true", help="Only check that each file exists (faster).")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Files checked at once (may help where each request waits on a remote store).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        hash_files, jobs = not options["no_hash"], max(1, options["jobs"])
        tallies = []
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for title, rows in _rows():
                tally = Tally(title)
                iterator = iter(rows)
                # Batches keep the queue bounded: a million rows never sit in memory at once.
                while batch := list(islice(iterator, BATCH)):
                    for row, (problem, size) in zip(
                        batch, pool.map(lambda r: _check(default_storage, r, hash_files), batch), strict=True
                    ):
                        tally.rows += 1
                        tally.nbytes += size
                        compared = hash_files and row.expected and (not problem or problem.startswith("CHANGED"))
                        tally.hashed += bool(compared)
                        if problem:
                            tally.problems.append(problem)
                tallies.append(tally)
        self._report(tallies, time.perf_counter() - started)

    def _report(self, tallies: list[Tally], seconds: float) -> None:
        self.stdout.write(f"Storage: {_where(default_storage)}")
        for t in tallies:
            self.stdout.write(f"{t.title}: {t.rows} rows, {t.hashed} hashes compared, {len(t.problems)} problems.")
        problems = [p for t in tallies for p in t.problems]
        for problem in problems:
            self.stderr.write(problem)
        rows = sum(t.rows for t in tallies)
        megabytes = sum(t.nbytes for t in tallies) / 1048576
        if problems:
            self.stderr.write(f"Evidence NOT consistent: {len(problems)} problems in {rows} rows.")
            sys.exit(1)
        self.stdout.write(f"Evidence consistent: {rows} rows, {megabytes:.1f} MB hashed in {seconds:.1f} s.")
