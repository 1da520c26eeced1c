"""Reads of a user's sign-in sessions (only their own)."""

from __future__ import annotations

from typing import Any

from accounts.models import UserSession
from accounts.sessions import session_holds


def active_sessions(user: Any) -> list[UserSession]:
    """The user's sessions that still sign them in, most recently used first.

    Rows of sessions that no longer hold (expired, idle, signed out elsewhere, older than a password
    change) are left out; ``sessions_prune`` removes them.
    """
    rows = list(UserSession.objects.filter(user=user).order_by("-last_seen_at", "-pk"))
    return [row for row in rows if session_holds(row.session_key, user.pk)]
