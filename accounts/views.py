"""The user's own sign-in sessions (登录设备)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors, services
from accounts.sessions import idle_timeout


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
        },
    )


@login_required
@require_POST
def session_end_others(request: HttpRequest) -> HttpResponse:
    count = services.sessions_end_others(user=request.user, current_session_key=request.session.session_key)
    messages.success(request, f"已结束其他 {count} 个登录会话。" if count else "没有其他登录会话。")
    return redirect("accounts:sessions")
