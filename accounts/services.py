"""Ending sessions."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.models import UserSession
from accounts.sessions import session_store
from accounts.sockets import sockets_recheck
from audit.services import audit_record


@transaction.atomic
def sessions_end_others(*, user: Any, current_session_key: str | None) -> int:
    """End every session of ``user`` but the current one (their sockets close); return how many."""
    rows = list(
        UserSession.objects.select_for_update().filter(user=user).exclude(session_key=current_session_key or "")
    )
    store = session_store()
    for row in rows:
        store.delete(row.session_key)
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    audit_record(actor=user, action="accounts.sessions.ended", target=user, data={"count": len(rows)})
    user_id = user.pk
    transaction.on_commit(lambda: sockets_recheck(user_id))
    return len(rows)
