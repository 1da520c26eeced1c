"""The audit trail's hash chain, signed checkpoints, append-only triggers and verify_audit."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from audit import chain
from audit.maintenance import audit_deletes_allowed
from audit.models import AuditChainHead, AuditCheckpoint, AuditEntry
from audit.services import audit_entry, audit_record, audit_record_many
from dashboards.services import indicator_report
from plans.models import IndicatorReading
from tasks import services as task_services
from tasks.models import Evidence
from tests.workflow_helpers import pdf, to_state

pytestmark = pytest.mark.django_db


def record(org, n=1, **extra):
    return [audit_record(actor=None, action="orgs.organisation.created", target=org, reason=f"r{i}", **extra)
            for i in range(n)]


def verify_audit(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def drop_triggers():
    for kind in ("update", "delete"):
        on = " ON audit_auditentry" if connection.vendor == "postgresql" else ""
        raw(f"DROP TRIGGER audit_auditentry_no_{kind}{on}")


def test_entries_form_a_gapless_chain_of_canonical_bytes(county):
    entries = record(county.a.school, 3, data={"b": 1, "a": "中文"})
    seqs = [e.seq for e in entries]
    assert seqs == list(range(seqs[0], seqs[0] + 3))
    first, second = AuditEntry.objects.get(pk=entries[0].pk), AuditEntry.objects.get(pk=entries[1].pk)
    assert second.prev_hash == first.hash == hashlib.sha256(first.canonical.encode()).hexdigest()
    content = json.loads(first.canonical)
    assert list(content) == sorted(content) and '"a":"中文","b":1' in first.canonical
    assert content["at"].endswith("+00:00") and len(content["at"].split(".")[1]) == len("000000+00:00")
    head = AuditChainHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (entries[-1].seq, entries[-1].hash)


def test_a_rolled_back_write_leaves_no_gap(county):
    before = record(county.a.school)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        record(county.a.school)
        raise RuntimeError
    after = record(county.a.school)[0]
    assert after.seq == before.seq + 1 and after.prev_hash == before.hash


def test_bulk_entries_chain_like_single_ones(county):
    rows = audit_record_many(
        audit_entry(actor=None, action="orgs.organisation.created", target=county.a.school) for _ in range(3)
    )
    one = record(county.a.school)[0]
    assert [r.seq for r in rows] + [one.seq] == list(range(rows[0].seq, rows[0].seq + 4))
    assert one.prev_hash == rows[-1].hash
    assert verify_audit()[0] == 0


def test_intact_trail_verifies_with_one_line(county):
    record(county.a.school, 3)
    chain.checkpoint_make()
    code, out = verify_audit("--files")
    assert code == 0 and out.startswith("Audit trail intact") and out.count("\n") == 1


def test_the_triggers_refuse_update_and_delete(county):
    entry = record(county.a.school)[0]
    chain.checkpoint_make()
    for sql in ("UPDATE audit_auditentry SET reason = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            raw(sql, [entry.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        raw("DELETE FROM audit_auditcheckpoint")
    assert AuditEntry.objects.get(pk=entry.pk).reason == "r0"


def test_deletes_pass_only_inside_the_maintenance_flag(county):
    entry = record(county.a.school)[0]
    with audit_deletes_allowed("test"):
        AuditEntry.objects.filter(pk=entry.pk).delete()
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            AuditEntry.objects.update(reason="x")  # updates never pass
    assert not AuditEntry.objects.filter(pk=entry.pk).exists()
    other = record(county.a.school)[0]
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=other.pk).delete()


def test_verify_names_an_edited_entry(county):
    entries = record(county.a.school, 5)
    drop_triggers()
    raw("UPDATE audit_auditentry SET reason = 'rewritten' WHERE id = %s", [entries[2].pk])
    code, out = verify_audit()
    assert code == 1 and f"entry #{entries[2].seq} " in out and "changed" in out and "intact" not in out


def test_verify_names_a_deleted_entry(county):
    entries = record(county.a.school, 5)
    drop_triggers()
    raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[2].pk])
    code, out = verify_audit()
    assert code == 1 and f"entry #{entries[2].seq} is missing" in out and "intact" not in out


def test_verify_finds_a_deleted_tail(county):
    entries = record(county.a.school, 5)
    drop_triggers()
    raw("DELETE FROM audit_auditentry WHERE seq >= %s", [entries[3].seq])
    code, out = verify_audit()
    assert code == 1 and "deleted" in out and "intact" not in out


def test_verify_names_an_inserted_entry(county):
    entries = record(county.a.school, 3)
    drop_triggers()
    # Shift the last entry up and slip a forged one in before it, with a well-formed own hash.
    raw("UPDATE audit_auditentry SET seq = seq + 1 WHERE id = %s", [entries[2].pk])
    forged = AuditEntry(actor=None, action="tasks.task.closed", target_type="tasks.task", target_id=1,
                        created_at=timezone.now(), seq=entries[2].seq, prev_hash=entries[1].hash)
    forged.canonical = chain.canonical_json(chain.content_of(forged))
    forged.hash = chain.entry_hash(forged.canonical)
    forged.save()
    code, out = verify_audit()
    assert code == 1 and f"entry #{entries[2].seq + 1} " in out and "intact" not in out


def test_a_recomputed_chain_is_caught_by_the_signed_checkpoint(county):
    entries = record(county.a.school, 4)
    checkpoint = chain.checkpoint_make()
    assert checkpoint is not None and checkpoint.seq == entries[-1].seq
    copy = "".join(chain.checkpoint_lines([checkpoint]))
    drop_triggers()
    # Whoever can write the database rewrites an entry and recomputes every hash after it.
    prev = entries[0].hash
    for entry in AuditEntry.objects.filter(seq__gt=entries[0].seq).order_by("seq"):
        entry.prev_hash = prev
        if entry.pk == entries[1].pk:
            entry.reason = "rewritten"
        entry.canonical = chain.canonical_json(chain.content_of(entry))
        entry.hash = prev = chain.entry_hash(entry.canonical)
        AuditEntry.objects.filter(pk=entry.pk).update(
            reason=entry.reason, prev_hash=entry.prev_hash, canonical=entry.canonical, hash=entry.hash
        )
    AuditChainHead.objects.filter(pk=1).update(hash=prev)
    raw("DROP TRIGGER audit_auditcheckpoint_no_delete" + (" ON audit_auditcheckpoint" if connection.vendor == "postgresql" else ""))
    AuditCheckpoint.objects.all().delete()  # and removes the stored checkpoint
    path = default_storage.path("checkpoints-copy.jsonl")
    with open(path, "w") as handle:
        handle.write(copy)
    code, out = verify_audit("--checkpoints", path)
    assert code == 1 and "history rewritten" in out and "intact" not in out


def test_a_forged_checkpoint_is_refused(county):
    record(county.a.school, 2)
    checkpoint = chain.checkpoint_make()
    line = json.loads(next(chain.checkpoint_lines([checkpoint])))
    line["hash"] = "f" * 64
    path = default_storage.path("forged.jsonl")
    with open(path, "w") as handle:
        handle.write(json.dumps(line))
    code, out = verify_audit("--checkpoints", path)
    assert code == 1 and "signature is not valid" in out


def test_checkpoints_only_when_the_head_moved(county):
    record(county.a.school)
    assert chain.checkpoint_make() is not None
    assert chain.checkpoint_make() is None
    record(county.a.school)
    assert chain.checkpoint_make() is not None


def test_evidence_files_carry_their_sha256_and_verify_rehashes_them(county):
    a = county.a
    task = to_state(a, "in_progress")
    upload = pdf()
    expected = hashlib.sha256(upload.read()).hexdigest()
    evidence = task_services.evidence_add(task=task, actor=a.member, upload=upload)
    assert Evidence.objects.get(pk=evidence.pk).sha256 == expected
    entry = AuditEntry.objects.get(action="tasks.evidence.added", target_id=task.pk)
    assert entry.data["sha256"] == expected and entry.data["file"] == evidence.file.name
    indicator_report(actor=a.member, indicator=a.indicator, value=5, measured_on=timezone.localdate(),
                     evidence=pdf("台账.pdf"))
    reading = IndicatorReading.objects.get(indicator=a.indicator)
    assert len(reading.evidence_sha256) == 64
    assert AuditEntry.objects.get(action="plans.indicator.reported").data["sha256"] == reading.evidence_sha256
    assert verify_audit("--files")[0] == 0

    with default_storage.open(evidence.file.name, "wb") as handle:
        handle.write(b"%PDF-1.4 swapped")
    code, out = verify_audit("--files")
    assert code == 2 and evidence.file.name in out and "changed" in out and "intact" not in out
    default_storage.delete(reading.evidence.name)
    code, out = verify_audit("--files")
    assert code == 2 and reading.evidence.name in out and "missing" in out


def test_the_deadline_scanner_loop_signs_checkpoints(county):
    record(county.a.school)
    call_command("scan_deadlines", "--loop", "1", "--iterations", "1", stdout=io.StringIO())
    checkpoint = AuditCheckpoint.objects.get()
    assert checkpoint.seq == AuditChainHead.objects.get(pk=1).seq
