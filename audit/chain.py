"""The hash chain over the audit trail, and its signed checkpoints.

Design: **chained inside each write, under a lock** (not a sealer run later by the scanner loop).
``audit_record`` / ``audit_record_many`` lock the one ``AuditChainHead`` row (``SELECT ... FOR
UPDATE``; on SQLite every write transaction is already exclusive, ``transaction_mode=IMMEDIATE``),
give each new entry the next number of our own gapless sequence, build its canonical bytes, and hash
them with the previous entry's hash; the head row moves on in the same transaction. A rolled-back
transition therefore rolls back its sequence number too: no gaps, no window in which an entry exists
unchained, and the audit rows are never updated after insert (so the append-only triggers need no
exception for a sealer). The cost is one locked read and one update of a single row per transition:
``manage.py bench transitions`` measures it (see BENCHMARKS.md and the report in the branch log).
A sealer would cost nothing on the write path but would have to update rows after insert and leave
entries unprotected for a scan interval.

Canonical bytes: JSON with sorted keys, no whitespace, UTF-8, times in UTC with microseconds. They
are stored verbatim in ``AuditEntry.canonical`` and hashed from there, never from what the database
re-serialises (``jsonb`` reorders keys). ``verify`` also checks that the stored columns still say
what the canonical bytes say, so an edit of either is found.

Checkpoints (sequence, head hash, UTC time) are signed with an Ed25519 key read from the file named
by ``settings.AUDIT_KEY_FILE``: the database never holds the private key, so whoever can write the
database can recompute the chain but cannot sign a checkpoint for it. The bureau downloads the
signed checkpoints (and the public key) and ``manage.py verify_audit --checkpoints FILE`` checks the
chain against such a copy.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditChainHead, AuditCheckpoint, AuditEntry

GENESIS = "0" * 64
CHECKPOINT_ORIGIN = "planhub-audit"
# Segments checked at once by verify on PostgreSQL (audit.chain_sql): the machine's cores.
VERIFY_WORKERS = max(1, min(4, os.cpu_count() or 1))


def utc_text(moment: datetime.datetime) -> str:
    """A time as UTC ISO 8601 with microseconds, always the same length."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_of(entry: Any) -> dict[str, Any]:
    """What an entry's hash covers, from its columns (``prev_hash`` and ``seq`` included)."""
    return {
        "seq": entry.seq,
        "prev": entry.prev_hash,
        "at": utc_text(entry.created_at),
        "actor": entry.actor_id,
        "action": entry.action,
        "plan": entry.plan_id,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "from": entry.from_state,
        "to": entry.to_state,
        "reason": entry.reason,
        "data": entry.data,
    }


def entry_hash(canonical: str) -> str:
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain(entries: list[AuditEntry]) -> None:
    """Number, canonicalise and hash unsaved entries, in order, after the current head. The caller
    is inside the transaction that inserts them; the head row stays locked until it ends."""
    if not entries:
        return
    head = _locked_head()
    seq, prev = head.seq, head.hash
    now = timezone.now()
    for entry in entries:
        seq += 1
        entry.seq = seq
        entry.prev_hash = prev
        entry.created_at = now  # taken under the lock: times never run backwards along the chain
        entry.canonical = canonical_json(content_of(entry))
        entry.hash = prev = entry_hash(entry.canonical)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The first entry ever (or after a test flush): start the chain.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
    return head


# --- signing ---------------------------------------------------------------------------------------


def _key_path() -> Path:
    name = getattr(settings, "AUDIT_KEY_FILE", "")
    if not name:
        raise ImproperlyConfigured("AUDIT_KEY_FILE is not set: checkpoints cannot be signed.")
    return Path(name)


def private_key() -> Ed25519PrivateKey:
    """The signing key: 32 random bytes, hex, in the file named by AUDIT_KEY_FILE."""
    path = _key_path()
    try:
        seed = bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"AUDIT_KEY_FILE {path} is not a readable 32-byte hex key: {exc}") from exc
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_text(key: Ed25519PublicKey | None = None) -> str:
    key = key or private_key().public_key()
    return base64.b64encode(key.public_bytes_raw()).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip()))


def checkpoint_body(seq: int, head_hash: str, at: str) -> str:
    """The signed statement (C2SP-checkpoint-like: origin, size, hash, time, one per line)."""
    return f"{CHECKPOINT_ORIGIN}\n{seq}\n{head_hash}\n{at}\n"


def checkpoint_make() -> AuditCheckpoint | None:
    """Sign the current head, unless the last checkpoint already covers it. Run by the deadline
    scanner's loop (and ``manage.py audit_checkpoint``)."""
    key = private_key()
    with transaction.atomic():
        head = _locked_head()
        last = AuditCheckpoint.objects.order_by("-seq").first()
        if head.seq == 0 or (last is not None and last.seq >= head.seq):
            return None
        at = utc_text(timezone.now())
        signature = key.sign(checkpoint_body(head.seq, head.hash, at).encode("utf-8"))
        return AuditCheckpoint.objects.create(
            seq=head.seq,
            head_hash=head.hash,
            signed_at=at,
            signature=base64.b64encode(signature).decode("ascii"),
            public_key=public_key_text(key.public_key()),
        )


def checkpoint_lines(checkpoints: Iterable[AuditCheckpoint]) -> Iterator[str]:
    """The downloadable copy: one JSON object per line."""
    for cp in checkpoints:
        yield canonical_json(
            {
                "seq": cp.seq,
                "hash": cp.head_hash,
                "at": cp.signed_at,
                "signature": cp.signature,
                "public_key": cp.public_key,
            }
        ) + "\n"


# --- verification ----------------------------------------------------------------------------------


@dataclass
class Verdict:
    entries: int = 0
    checkpoints: int = 0
    problems: list[str] | None = None

    def add(self, problem: str) -> None:
        if self.problems is None:
            self.problems = []
        self.problems.append(problem)

    @property
    def intact(self) -> bool:
        return not self.problems


ROW_FIELDS = ("pk", "seq", "prev_hash", "created_at", "actor_id", "action", "plan_id", "target_type", "target_id",
              "from_state", "to_state", "reason", "data", "canonical", "hash")


class _Row(NamedTuple):
    """The columns of one entry, as ``content_of`` reads them (fields in ROW_FIELDS order)."""

    pk: int
    seq: int
    prev_hash: str
    created_at: datetime.datetime
    actor_id: int | None
    action: str
    plan_id: int | None
    target_type: str
    target_id: int
    from_state: str
    to_state: str
    reason: str
    data: Any
    canonical: str
    hash: str


def _columns_match(entry: Any, canonical: str) -> bool:
    if canonical_json(content_of(entry)) == canonical:
        return True  # the common case: the columns re-serialise to the very bytes stored
    # jsonb may give the data back in another form (number formats): compare meanings.
    try:
        stored = json.loads(canonical)
    except ValueError:
        return False
    return bool(stored == json.loads(canonical_json(content_of(entry))))


def verify(*, checkpoints: list[dict[str, Any]] | None = None, public_key: str | None = None,
           batch: int = 5000) -> Verdict:
    """Recompute the chain from the first entry; check the head row, the stored checkpoints and any
    copy of checkpoints given. Stops describing after the first broken link of the chain."""
    verdict = Verdict()
    if public_key is None:
        try:
            public_key = public_key_text()
        except ImproperlyConfigured:
            public_key = None  # no key here: each checkpoint is checked against the key it names
    hashes: dict[int, str] = {}
    wanted = set()
    stored_cps = list(AuditCheckpoint.objects.order_by("seq"))
    copies = checkpoints or []
    for cp in stored_cps:
        wanted.add(cp.seq)
    for c in copies:
        wanted.add(int(c["seq"]))
    if connection.vendor == "postgresql":
        last_seq, prev, broken = _walk_in_database(verdict, wanted, hashes, batch)
    else:
        last_seq, prev, broken = _walk(verdict, wanted, hashes, batch)
    unnumbered = AuditEntry.objects.filter(seq__isnull=True).first()
    if unnumbered is not None:
        verdict.add(f"entry id {unnumbered.pk} was inserted outside the chain (no sequence number).")
    if not broken:
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is not None and (head.seq != last_seq or head.hash != prev):
            verdict.add(
                f"the chain ends at #{last_seq} but its head says #{head.seq}: entries after #{last_seq} were deleted."
                if head.seq > last_seq
                else f"the chain head (#{head.seq}) does not match the last entry (#{last_seq})."
            )
    for source, items in (("stored", [_as_dict(cp) for cp in stored_cps]), ("given", copies)):
        for c in items:
            verdict.checkpoints += 1
            problem = _check_checkpoint(c, hashes, last_seq, broken, public_key)
            if problem:
                verdict.add(f"{source} checkpoint #{c['seq']}: {problem}")
    return verdict


def _walk_in_database(verdict: Verdict, wanted: set[int], hashes: dict[int, str], batch: int) -> tuple[int, str, bool]:
    """The walk done by PostgreSQL (audit.chain_sql); the Python walk where it cannot parse an entry."""
    from audit import chain_sql

    try:
        last_seq, prev, problem = chain_sql.walk(GENESIS, workers=VERIFY_WORKERS)
    except chain_sql.NotJson:
        return _walk(verdict, wanted, hashes, batch)
    verdict.entries = last_seq + (1 if problem else 0)
    if problem is not None:
        verdict.add(problem.message)
    hashes.update(chain_sql.hashes_at(wanted, last_seq))
    return last_seq, prev, problem is not None


def _walk(verdict: Verdict, wanted: set[int], hashes: dict[int, str], batch: int) -> tuple[int, str, bool]:
    """Recompute the chain in Python, entry by entry. Returns (last good number, its hash, broken)."""
    expected, prev = 1, GENESIS
    broken = False
    last_seq = 0
    # Plain tuples, not model instances: the walk over millions of rows is bound by per-row cost.
    qs = AuditEntry.objects.order_by("seq").values_list(*ROW_FIELDS)
    after = 0
    while not broken:
        rows = [_Row(*values) for values in qs.filter(seq__gt=after)[:batch]]
        if not rows:
            break
        for entry in rows:
            verdict.entries += 1
            if entry.seq != expected:
                if (entry.seq or 0) > expected:
                    verdict.add(f"entry #{expected} is missing (deleted): the next entry is #{entry.seq} (id {entry.pk}).")
                broken = True
                break
            if not _columns_match(entry, entry.canonical):
                verdict.add(f"entry #{entry.seq} (id {entry.pk}) was changed: its columns differ from its hashed content.")
                broken = True
                break
            if entry.prev_hash != prev or entry_hash(entry.canonical) != entry.hash:
                kind = "inserted or changed" if entry.prev_hash != prev else "changed"
                verdict.add(f"entry #{entry.seq} (id {entry.pk}) was {kind}: its hash does not chain.")
                broken = True
                break
            prev = entry.hash
            if entry.seq in wanted:
                hashes[entry.seq] = entry.hash
            last_seq = entry.seq
            expected += 1
        after = rows[-1].seq or 0
    return last_seq, prev, broken


def _as_dict(cp: AuditCheckpoint) -> dict[str, Any]:
    return {"seq": cp.seq, "hash": cp.head_hash, "at": cp.signed_at, "signature": cp.signature,
            "public_key": cp.public_key}


def _check_checkpoint(c: dict[str, Any], hashes: dict[int, str], last_seq: int, broken: bool,
                      public_key: str | None) -> str | None:
    from cryptography.exceptions import InvalidSignature

    seq = int(c["seq"])
    key_text = public_key or c.get("public_key") or ""
    try:
        key = load_public_key(key_text)
        key.verify(base64.b64decode(c["signature"]), checkpoint_body(seq, c["hash"], c["at"]).encode("utf-8"))
    except (InvalidSignature, ValueError, TypeError):
        return "its signature is not valid for the key (forged or altered checkpoint)."
    if seq > last_seq:
        return None if broken else f"it covers #{seq} but the chain ends at #{last_seq} (entries deleted)."
    if seq in hashes and hashes[seq] != c["hash"]:
        return f"the chain's hash at #{seq} differs from the signed one (history rewritten)."
    return None
