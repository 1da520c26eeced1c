"""Sign-in and sign-out hooks of django.contrib.auth, and saves of a user's credentials.

These record and end ``UserSession`` rows and tell open sockets to recheck; they write no business
data (and no audit rows).
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest

from accounts.models import UserSession
from accounts.sessions import SECOND_FACTOR_PENDING, SEEN_KEY, session_store
from accounts.sockets import sockets_recheck
from accounts.two_factor import has_confirmed_device

# A save of any of these may end sessions (a password, a disabled account, a move to another
# organisation changes what a socket may hear).
CREDENTIAL_FIELDS = frozenset({"password", "is_active", "organisation"})


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="accounts.on_login")
    user_logged_out.connect(on_logout, dispatch_uid="accounts.on_logout")
    post_save.connect(on_user_saved, sender=get_user_model(), dispatch_uid="accounts.on_user_saved")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    request.session[SEEN_KEY] = int(time.time())
    if has_confirmed_device(user):
        request.session[SECOND_FACTOR_PENDING] = True
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "ip": client_ip(request),
        },
    )


def on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or user is None or not hasattr(request, "session"):
        return
    key = request.session.session_key
    if key:
        # logout() flushes the session right after this signal; delete it first, so that the
        # sockets told below never find it still valid.
        session_store().delete(key)
        UserSession.objects.filter(session_key=key).delete()
    user_id = user.pk
    transaction.on_commit(lambda: sockets_recheck(user_id))


def on_user_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if created or (update_fields is not None and not CREDENTIAL_FIELDS & set(update_fields)):
        return
    user_id = instance.pk
    transaction.on_commit(lambda: sockets_recheck(user_id))
