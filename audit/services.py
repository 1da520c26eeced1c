"""Writing the audit trail: one append-only row per event, by the service that made the change,
inside its transaction (never from a signal)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from audit.chain import chain
from audit.models import AuditEntry

BULK_BATCH = 1000


def audit_entry(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    plan: Any = None,
    old: str = "",
    new: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """An unsaved audit row. ``plan`` is a plan, its id, or None for events outside any plan."""
    plan_id = getattr(plan, "pk", plan)
    # States are short codes (a status, a role): a caller passing a title belongs in ``data``. Said
    # here on every database (PostgreSQL refuses the row at insert, SQLite would keep it).
    width = AuditEntry._meta.get_field("to_state").max_length or 0
    if len(old or "") > width or len(new or "") > width:
        raise ValueError(f"audit {action}: old/new are states of at most {width} characters; put text in data")
    return AuditEntry(
        actor_id=getattr(actor, "pk", None),
        action=action,
        plan_id=plan_id,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        from_state=old or "",
        to_state=new or "",
        reason=reason or "",
        data=data or {},
    )


def audit_record(**fields: Any) -> AuditEntry:
    """Append one audit row (arguments as ``audit_entry``). The caller holds the transaction that
    makes the change. The entry is chained (audit.chain) before it is inserted."""
    entry = audit_entry(**fields)
    chain([entry])
    entry.save()
    return entry


def audit_record_many(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Append many rows built with ``audit_entry`` in a few statements (bulk paths: imports,
    template issues). Same rows as one ``audit_record`` per event."""
    rows = list(entries)
    chain(rows)
    return AuditEntry.objects.bulk_create(rows, batch_size=BULK_BATCH)
