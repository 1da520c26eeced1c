"""The user's own sign-in sessions (登录设备) and two-factor sign-in (两步验证)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from accounts import selectors, services, two_factor
from accounts.permissions import must_use_two_factor
from accounts.sessions import SECOND_FACTOR_PENDING, idle_timeout
from core.errors import DomainError
from core.redirects import redirect_back


@login_required
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    current = request.session.session_key
    rows = selectors.active_sessions(request.user)
    return render(
        request,
        "accounts/sessions.html",
        {
            "rows": rows,
            "current": current,
            "others": sum(1 for row in rows if row.session_key != current),
            "idle_hours": round(idle_timeout() / 3600, 1),
            "two_factor_on": two_factor.has_confirmed_device(request.user),
        },
    )


@login_required
@require_POST
def session_end_others(request: HttpRequest) -> HttpResponse:
    count = services.sessions_end_others(user=request.user, current_session_key=request.session.session_key)
    messages.success(request, f"已结束其他 {count} 个登录会话。" if count else "没有其他登录会话。")
    return redirect("accounts:sessions")


# --- two-factor sign-in (两步验证) -----------------------------------------------------------------


@login_required
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code, then a code from the app), or see that it is on."""
    user = request.user
    if two_factor.has_confirmed_device(user):
        if not user.is_verified():  # type: ignore[union-attr]
            return redirect("accounts:two_factor_verify")
        return render(request, "accounts/two_factor_status.html", {"required": must_use_two_factor(user)})
    device = two_factor.enrolment_device(user)
    error = ""
    if request.method == "POST":
        try:
            codes = two_factor.totp_confirm(user=user, device=device, token=request.POST.get("token", ""))
        except DomainError as exc:
            error = str(exc)
        else:
            device.refresh_from_db()
            otp_login(request, device)
            request.session.pop(SECOND_FACTOR_PENDING, None)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request), "new": True}
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "qr": two_factor.qr_data_uri(device),
            "secret": two_factor.secret_for_typing(device),
            "error": error,
            "required": must_use_two_factor(user),
            "next": _safe_next(request),
        },
    )


@login_required
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not two_factor.has_confirmed_device(user):
        return redirect("accounts:two_factor_setup")
    if user.is_verified():  # type: ignore[union-attr]
        return redirect_back(request, "home")
    error = ""
    if request.method == "POST":
        device = two_factor.second_factor_verify(user=user, token=request.POST.get("token", ""))
        if device is None:
            error = "验证码不正确或已过期。连续输错会被暂时锁定，请稍候再试。"
        else:
            otp_login(request, device)
            request.session.pop(SECOND_FACTOR_PENDING, None)
            return redirect_back(request, "home")
    return render(request, "accounts/two_factor_verify.html", {"error": error, "next": _safe_next(request)})


@login_required
@require_POST
def recovery_codes_renew(request: HttpRequest) -> HttpResponse:
    if not request.user.is_verified():  # type: ignore[union-attr]
        return redirect("accounts:two_factor_verify")
    try:
        codes = two_factor.recovery_codes_renew(user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:two_factor_setup")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "", "new": False})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return target if target and ok else ""
