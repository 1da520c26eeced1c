"""Notification pages and the small JSON feed the live header re-reads on every (re)connect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.redirects import redirect_back
from notifications import selectors
from notifications.live import live_versions, parse_ids, version_sources
from notifications.models import Notification
from notifications.services import notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 30


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_GET
def inbox_page(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    kind = kind if kind in Notification.Kind.values else ""
    state = state if state in ("unread", "read") else ""
    page = Paginator(selectors.inbox(request.user, kind=kind, state=state), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.with_safe_links(request.user, list(page.object_list))
    filters = urlencode({k: v for k, v in (("kind", kind), ("state", state)) if v})
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "rows": rows,
            "kind": kind,
            "state": state,
            "kinds": Notification.Kind.choices,
            "filters": filters,
            "unread": selectors.unread_count(request.user),
            "upto_id": rows[0].pk if rows and page.number == 1 else "",
        },
    )


@never_cache
@require_GET
def feed(request: HttpRequest) -> JsonResponse:
    """Unread count and newest notifications. 401 (not a login redirect) so scripts can stop."""
    if not (request.user.is_authenticated and request.user.is_active):
        return JsonResponse({"error": "login_required"}, status=401)
    return JsonResponse(selectors.feed(request.user), json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; a repeated POST (double click) is a no-op, not an error."""
    try:
        notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404("通知不存在。") from None
    if _wants_json(request):
        return JsonResponse({"ok": True, "unread": selectors.unread_count(request.user)})
    return redirect_back(request, "notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("upto", "")
    upto = int(raw) if raw.isdecimal() else None
    changed = notifications_mark_all_read(user=request.user, upto_id=upto)
    if _wants_json(request):
        return JsonResponse({"ok": True, "changed": changed, "unread": selectors.unread_count(request.user)})
    if changed:
        messages.success(request, f"已将 {changed} 条通知标为已读。")
    return redirect_back(request, "notifications:inbox")


@never_cache
@require_GET
def versions(request: HttpRequest) -> JsonResponse:
    """Current versions of the objects an open page shows (``?task=1,2&stage=3``): the page compares
    them with what it rendered. Ids the user may not see are simply absent. 401 like the feed."""
    if not (request.user.is_authenticated and request.user.is_active):
        return JsonResponse({"error": "login_required"}, status=401)
    wanted: dict[str, list[int]] = {}
    for kind in version_sources():
        if kind in request.GET:
            ids = parse_ids(request.GET[kind])
            if ids is None:
                return JsonResponse({"error": "bad_ids"}, status=400)
            wanted[kind] = ids
    found = live_versions(request.user, wanted)
    return JsonResponse({"versions": found}, json_dumps_params={"ensure_ascii": False})
