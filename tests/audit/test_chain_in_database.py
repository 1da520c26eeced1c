"""verify on PostgreSQL walks the chain inside the database (audit.chain_sql), in parallel segments
on large trails. These tests run the database walk alone (the Python walk made to fail) and with
segments forced on a small trail, and check it finds each kind of tampering."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from audit import chain, chain_sql
from audit.models import AuditEntry
from tests.audit.test_chain import drop_triggers, raw, record

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the database walk is PostgreSQL's"),
    pytest.mark.django_db,
]


@pytest.fixture(autouse=True)
def database_walk_only(monkeypatch):
    def no_python_walk(*args, **kwargs):
        raise AssertionError("the Python walk ran")

    monkeypatch.setattr(chain, "_walk", no_python_walk)
    monkeypatch.setattr(chain_sql, "PARALLEL_FROM", 1)  # segments even on a handful of entries
    # Threads have connections of their own, which cannot see this test's transaction.
    monkeypatch.setattr(chain_sql, "IN_THREADS", False)


@pytest.fixture
def entries(county):
    return record(county.a.school, 9, data={"b": 1, "a": "中文 \"引号\"\n"})


def test_intact_in_segments(entries):
    verdict = chain.verify()
    assert verdict.intact and verdict.entries == AuditEntry.objects.count()


@pytest.mark.parametrize("index", [0, 4, 8])  # first, near a segment boundary, last
def test_an_edit_is_named(entries, index):
    drop_triggers()
    raw("UPDATE audit_auditentry SET reason = 'rewritten' WHERE id = %s", [entries[index].pk])
    verdict = chain.verify()
    assert not verdict.intact and f"entry #{entries[index].seq} " in verdict.problems[0]


def test_an_edit_of_data_is_named(entries):
    drop_triggers()
    raw("""UPDATE audit_auditentry SET data = '{"a": "改", "b": 1}' WHERE id = %s""", [entries[3].pk])
    verdict = chain.verify()
    assert not verdict.intact and f"entry #{entries[3].seq} " in verdict.problems[0]


@pytest.mark.parametrize("index", [1, 4, 5, 7])
def test_a_deletion_is_named(entries, index):
    drop_triggers()
    raw("DELETE FROM audit_auditentry WHERE id = %s", [entries[index].pk])
    verdict = chain.verify()
    assert not verdict.intact and f"entry #{entries[index].seq} is missing" in verdict.problems[0]


def test_a_rehashed_edit_breaks_the_link(entries):
    drop_triggers()
    victim = AuditEntry.objects.get(pk=entries[5].pk)
    victim.reason = "rewritten"
    victim.canonical = chain.canonical_json(chain.content_of(victim))
    victim.hash = chain.entry_hash(victim.canonical)
    raw("UPDATE audit_auditentry SET reason = %s, canonical = %s, hash = %s WHERE id = %s",
        [victim.reason, victim.canonical, victim.hash, victim.pk])
    verdict = chain.verify()
    assert not verdict.intact and f"entry #{entries[6].seq} " in verdict.problems[0]


@pytest.mark.django_db(transaction=True)
def test_segments_in_threads_read_the_committed_trail(county, monkeypatch):
    monkeypatch.setattr(chain_sql, "IN_THREADS", True)
    with transaction.atomic():
        record(county.a.school, 9)
    verdict = chain.verify()
    assert verdict.intact and verdict.entries == AuditEntry.objects.count() >= 9
