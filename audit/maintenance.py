"""The one deliberate way past the audit trail's append-only triggers: deleting rows (never editing
them) inside ``audit_deletes_allowed``. Only two callers use it, both on data they made themselves:
the test suite's database flush (tests/conftest.py) and the benchmarks' cleanup of their synthetic
county (bench/). Deleting audit rows breaks the hash chain, and ``verify_audit`` names the first
missing entry: run benchmarks on a scratch database, not on one whose history must verify.

Why a flag rather than "benchmarks stop deleting": the synthetic people and schools cannot be
removed while audit rows name them (``actor`` is PROTECT), and a benchmark must leave the database
as it found it. The flag is no security boundary (whoever can set it can drop the trigger): the
triggers stop accidents and the admin; the signed checkpoints give the evidence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

_state = threading.local()


def maintenance_on() -> int:
    """The SQLite trigger's test (registered on each connection as ``planhub_audit_maintenance``)."""
    return 1 if getattr(_state, "on", False) else 0


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("planhub_audit_maintenance", 0, maintenance_on)


@contextmanager
def audit_deletes_allowed(why: str) -> Iterator[None]:
    """Let this thread's connection delete audit rows for the duration (``why`` documents the call)."""
    assert why, "say why audit rows are deleted"
    _state.on = True
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('planhub.audit_maintenance', 'on', false)")
    try:
        yield
    finally:
        _state.on = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('planhub.audit_maintenance', 'off', false)")
