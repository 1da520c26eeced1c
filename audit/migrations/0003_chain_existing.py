"""Chain the entries written before the hash chain existed, in the order they were written."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from audit.chain import GENESIS, canonical_json, content_of, entry_hash

    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    seq, prev = 0, GENESIS
    for entry in AuditEntry.objects.filter(seq__isnull=True).order_by("created_at", "id").iterator(chunk_size=2000):
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.canonical = canonical_json(content_of(entry))
        entry.hash = prev = entry_hash(entry.canonical)
        entry.save(update_fields=["seq", "prev_hash", "canonical", "hash"])
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "hash": prev})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
