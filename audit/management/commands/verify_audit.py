"""`manage.py verify_audit [--files] [--checkpoints FILE] [--public-key KEY]`: recompute the audit
trail's hash chain and check its signed checkpoints (audit.chain).

Exit codes: 0 intact (one summary line); 1 the chain or a checkpoint is broken (the first changed,
deleted or inserted entry is named); 2 (with --files) the chain is intact but an evidence file is
missing, changed or unreadable in storage; 3 the arguments cannot be used (unreadable checkpoint copy, bad key).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import load_public_key, verify
from audit.models import AuditEntry
from core.storage import is_missing, read_chunks, storage_errors


def file_sha256(name: str) -> str | None:
    """The stored file's SHA-256, read a chunk at a time through the configured storage (a folder
    or the object store); None when it is missing. A store that cannot be reached raises."""
    digest = hashlib.sha256()
    try:
        for chunk in read_chunks(default_storage, name):
            digest.update(chunk)
    except storage_errors() as exc:
        if is_missing(exc):
            return None
        raise
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and signed checkpoints (and, with --files, the evidence files)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--files", action="store_true", help="Also rehash every evidence file on disk.")
        parser.add_argument("--checkpoints", metavar="FILE", help="A downloaded copy of the signed checkpoints (JSON lines).")
        parser.add_argument("--public-key", metavar="KEY", help="The bureau's copy of the public key (base64).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        copies = self._copies(options["checkpoints"])
        # The downloaded copy starts with the public key; a key given on the command line wins.
        header_key = next((c["public_key"] for c in copies if "seq" not in c and "public_key" in c), None)
        copies = [c for c in copies if "seq" in c]
        key = options["public_key"] or header_key
        if key:
            try:
                load_public_key(key)
            except ValueError as exc:
                raise CommandError(f"--public-key is not an Ed25519 public key: {exc}", returncode=3) from exc
        verdict = verify(checkpoints=copies, public_key=key)
        if not verdict.intact:
            for problem in verdict.problems or []:
                self.stderr.write(f"TAMPERED: {problem}")
            sys.exit(1)
        bad_files = self._files() if options["files"] else []
        for problem in bad_files:
            self.stderr.write(f"EVIDENCE: {problem}")
        if bad_files:
            sys.exit(2)
        files = " and evidence files" if options["files"] else ""
        self.stdout.write(
            f"Audit trail intact{files}: {verdict.entries} entries, {verdict.checkpoints} checkpoints verified "
            f"in {time.perf_counter() - started:.1f} s."
        )

    def _copies(self, path: str | None) -> list[dict[str, Any]]:
        if not path:
            return []
        try:
            with open(path, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the checkpoint copy {path}: {exc}", returncode=3) from exc

    def _files(self) -> list[str]:
        """Every file an audit entry recorded with its SHA-256 (``data.file``, ``data.sha256``)."""
        problems = []
        rows = AuditEntry.objects.filter(data__has_key="sha256").order_by("seq").values_list("seq", "data")
        for seq, data in rows.iterator(chunk_size=2000):
            name, expected = data.get("file"), data.get("sha256")
            if not name or not expected:
                continue
            try:
                actual = file_sha256(name)
            except storage_errors() as exc:
                problems.append(f"{name} (entry #{seq}) could not be read: {exc!r}.")
                continue
            if actual is None:
                problems.append(f"{name} (entry #{seq}) is missing.")
            elif actual != expected:
                problems.append(f"{name} (entry #{seq}) was changed: SHA-256 {actual} ≠ {expected}.")
        return problems
