"""Whether a session still signs its user in: the one rule for pages (idle timeout) and sockets.

A session holds when it exists and has not expired (``SESSION_COOKIE_AGE``, the absolute limit), it
names this user with the hash of their current password (a password change ends the other
sessions), the user is active, it was used within ``SESSION_IDLE_TIMEOUT`` seconds, and it passed
the second factor where one is needed (accounts.two_factor).
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

from accounts.permissions import must_use_two_factor
from accounts.two_factor import session_passed_second_factor

# Key of the last-activity stamp (epoch seconds) in the session data.
SEEN_KEY = "accounts.seen"
# Set at sign-in when the user has a confirmed authenticator: the session must pass it.
SECOND_FACTOR_PENDING = "accounts.second_factor"
# The stamp is rewritten at most this often, so that a page view does not always write the session.
SEEN_RESOLUTION = 60


def idle_timeout() -> int:
    return int(getattr(settings, "SESSION_IDLE_TIMEOUT", 2 * 60 * 60))


def session_store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def is_idle(data: Any, now: float | None = None) -> bool:
    """The session was last used more than the idle timeout ago (never stamped: not idle)."""
    seen = data.get(SEEN_KEY)
    if not isinstance(seen, int | float):
        return False
    return (now if now is not None else time.time()) - seen > idle_timeout()


def session_holds(session_key: str | None, user_id: int) -> bool:
    if not session_key:
        return False
    store = session_store(session_key)
    data = store.load()  # {} when missing or expired
    if not data or str(data.get(SESSION_KEY)) != str(user_id) or is_idle(data):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).select_related("organisation").first()
    if user is None:
        return False
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()):
        return False
    if data.get(SECOND_FACTOR_PENDING) or must_use_two_factor(user):
        return session_passed_second_factor(data, user)
    return True
