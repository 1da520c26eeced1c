"""Handing out initial passwords once, behind Post/Redirect/Get.

A service that makes passwords (account created, password reset, roster import) answers a POST;
the page that shows them (or offers their xlsx) is a GET that comes after a redirect, so a refresh
or the back button never runs the service again. The passwords wait in between in the admin's own
session (server-side, this sign-in only) under a one-time token, for at most ``HANDOUT_TTL_S``;
taking them removes them, so the page shows them once and a refresh shows that they are gone.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.http import HttpRequest

SESSION_KEY = "password_handouts"
HANDOUT_TTL_S = 15 * 60


def _live(request: HttpRequest) -> dict[str, dict[str, Any]]:
    now = time.time()
    entries = request.session.get(SESSION_KEY, {})
    return {k: v for k, v in entries.items() if now - v["created"] < HANDOUT_TTL_S}


def handout_put(request: HttpRequest, payload: dict[str, Any]) -> str:
    """Keep ``payload`` (JSON-able) for one later ``handout_take``; returns its token."""
    entries = _live(request)
    token = uuid.uuid4().hex
    entries[token] = {"created": time.time(), "payload": payload}
    request.session[SESSION_KEY] = entries
    return token


def handout_peek(request: HttpRequest, token: str) -> dict[str, Any] | None:
    """The payload under ``token`` if it has not been taken nor expired, leaving it in place."""
    entry = _live(request).get(str(token))
    return None if entry is None else entry["payload"]


def handout_take(request: HttpRequest, token: str) -> dict[str, Any] | None:
    """Remove and return the payload under ``token`` (None when taken already or expired)."""
    entries = _live(request)
    entry = entries.pop(str(token), None)
    request.session[SESSION_KEY] = entries
    return None if entry is None else entry["payload"]
