"""A person signed in with an administrator's initial password goes to 修改密码 before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class ForcePasswordChangeMiddleware:
    """Redirects every page but the password form, sign-out and static files while
    ``User.must_change_password`` is set (new accounts, resets)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            allowed = (reverse("orgs:password_change"), reverse("logout"), settings.STATIC_URL)
            if not request.path.startswith(allowed):
                return redirect("orgs:password_change")
        return self.get_response(request)
