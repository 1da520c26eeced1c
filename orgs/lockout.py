"""Sign-in throttling with django-axes: after AXES_FAILURE_LIMIT failed attempts for one username
from one address, sign-in is refused until AXES_COOLOFF_TIME after the latest failure. This module
answers the lockout with a Chinese page that says when to try again, tells which accounts are
locked, and clears a lock (``orgs.services.user_unlock`` is the audited way to call it)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


class LockoutBackend(AxesStandaloneBackend):
    """Axes' backend, first in AUTHENTICATION_BACKENDS. Sign-ins over the web always carry their
    request and are checked; a call without one (a management command, the shell, the test
    client's ``login``) has no address to throttle and is left to the next backend instead of
    failing with AxesBackendRequestParameterRequired."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _active_attempts(usernames: Iterable[str]):
    attempts = AccessAttempt.objects.filter(
        username__in=list(usernames), failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gt=timezone.now() - cool_off)
    return attempts


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these usernames are locked out now (from any address)."""
    return set(_active_attempts(usernames).values_list("username", flat=True))


def retry_at(username: str) -> datetime.datetime | None:
    """When the latest lock of this username ends (None: no lock, or locks last until unlocked)."""
    cool_off = get_cool_off()
    latest = _active_attempts([username]).order_by("-attempt_time").values_list("attempt_time", flat=True).first()
    if latest is None or cool_off is None:
        return None
    return latest + cool_off


def clear(username: str) -> int:
    """Forget the failed attempts of this username (every address); the number of rows removed."""
    return int(reset(username=username))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the Chinese lockout page, with the time to try again."""
    username = get_client_username(request, credentials) or ""
    until = retry_at(username) if username else None
    context = {"retry_at": until, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "registration/locked_out.html", context, status=429)
