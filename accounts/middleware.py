"""The idle timeout: a session unused for ``SESSION_IDLE_TIMEOUT`` seconds (default 2 hours) signs
out, besides the absolute limit of ``SESSION_COOKIE_AGE``.

Goes after AuthenticationMiddleware and MessageMiddleware. Requests a page makes on its own (the
notification feed it polls) do not count as activity: a tab left open would otherwise keep its
session alive forever. Their URL names are in ``SESSION_IDLE_BACKGROUND_URLS``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import UserSession
from accounts.permissions import must_use_two_factor
from accounts.sessions import SECOND_FACTOR_PENDING, SEEN_KEY, SEEN_RESOLUTION, is_idle

IDLE_MESSAGE = "您已较长时间未操作，为保护账号安全已自动退出，请重新登录。"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.background = frozenset(getattr(settings, "SESSION_IDLE_BACKGROUND_URLS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        now = time.time()
        if is_idle(request.session, now):
            logout(request)
            messages.info(request, IDLE_MESSAGE)
            return None  # the view runs for an anonymous user: a login redirect, or 401 for scripts
        match = request.resolver_match
        if match is not None and match.view_name in self.background:
            return None
        seen = request.session.get(SEEN_KEY)
        if not isinstance(seen, int | float) or now - seen >= SEEN_RESOLUTION:
            request.session[SEEN_KEY] = int(now)
            key = request.session.session_key
            if key and not UserSession.objects.filter(session_key=key).update(last_seen_at=timezone.now()):
                # A session whose key was cycled (a password change keeps the user signed in under
                # a new key) or that began before this table: list it from now on.
                UserSession.objects.get_or_create(
                    session_key=key,
                    defaults={"user": user, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
                              "ip": request.META.get("REMOTE_ADDR") or None},
                )
        return None


# Pages a signed-in user may open before passing the second factor.
BEFORE_SECOND_FACTOR = frozenset(
    {"accounts:two_factor_setup", "accounts:two_factor_verify", "login", "logout", "csp_report"}
)


class TwoFactorMiddleware:
    """Until the session has passed the second factor, a user who needs one (enforced for their
    role, or enrolled of their own accord) reaches only the enrolment and verification pages.

    Goes after django_otp.middleware.OTPMiddleware (which gives ``request.user.is_verified()``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        if not (request.session.get(SECOND_FACTOR_PENDING) or must_use_two_factor(user)):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_SECOND_FACTOR:
            return None
        if "application/json" in request.headers.get("Accept", ""):
            return JsonResponse({"error": "two_factor_required"}, status=401)
        target = "accounts:two_factor_verify" if request.session.get(SECOND_FACTOR_PENDING) else "accounts:two_factor_setup"
        response = redirect(target)
        if request.method == "GET":
            response["Location"] += "?" + urlencode({"next": request.get_full_path()})
        return response
