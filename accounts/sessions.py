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
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
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


def session_user(session_key: str | None) -> Any | None:
    """The user a session signs in (with their organisation), or None when it does not hold: one
    read of the session and one of the user. Websockets are authenticated with it (the session
    loaded once, not once by channels and again to check it)."""
    if not session_key:
        return None
    data = session_store(session_key).load()  # {} when missing or expired
    user_id = data.get(SESSION_KEY) if data else None
    if user_id is None or is_idle(data) or data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None
    try:
        pk = get_user_model()._meta.pk.to_python(user_id)
    except Exception:  # a tampered or foreign session: not a sign-in
        return None
    user = get_user_model().objects.filter(pk=pk, is_active=True).select_related("organisation").first()
    if user is None:
        return None
    if not constant_time_compare(str(data.get(HASH_SESSION_KEY, "")), user.get_session_auth_hash()):
        return None
    if (data.get(SECOND_FACTOR_PENDING) or must_use_two_factor(user)) and not session_passed_second_factor(data, user):
        return None
    return user


def session_holds(session_key: str | None, user_id: int) -> bool:
    user = session_user(session_key)
    return user is not None and user.pk == user_id
