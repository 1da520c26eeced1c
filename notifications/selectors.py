"""Reads for notifications. Every selector takes the viewing user and returns only
that user's rows; links to plans the user can no longer see are blanked at read time."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from notifications.models import Notification
from notifications.push import serialize
from plans.selectors import visible_plans

FEED_SIZE = 8


def inbox(user: Any, *, kind: str = "", state: str = "") -> QuerySet[Notification]:
    """The user's notifications, newest first, optionally of one kind and read state ("unread"/"read")."""
    rows = Notification.objects.filter(recipient=user)
    if kind in Notification.Kind.values:
        rows = rows.filter(kind=kind)
    if state == "unread":
        rows = rows.filter(read_at__isnull=True)
    elif state == "read":
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox_state(user: Any) -> dict[str, int]:
    """``{"unread": N, "latest": id}`` in one query: what every page's header shows and renders
    for static/js/live.js, and what the socket compares with it (``catch_up``) to tell a page
    whether its inbox changed between its rendering and its socket's opening."""
    row = Notification.objects.filter(recipient=user).aggregate(
        unread=Count("pk", filter=Q(read_at__isnull=True)), latest=Max("pk")
    )
    return {"unread": row["unread"] or 0, "latest": row["latest"] or 0}


def with_safe_links(user: Any, rows: list[Notification]) -> list[Notification]:
    """Set ``link`` and ``plan_title`` on each row: its url and its plan's title, or "" for both
    when it points into a plan the user may no longer see (a seat removed since). One query for the
    whole page."""
    plan_ids = {n.plan_id for n in rows if n.plan_id}
    visible = dict(visible_plans(user).filter(pk__in=plan_ids).values_list("pk", "title")) if plan_ids else {}
    for n in rows:
        n.link = n.url if (not n.plan_id or n.plan_id in visible) else ""
        n.plan_title = visible.get(n.plan_id, "") if n.plan_id else ""
    return rows


def feed(user: Any, *, size: int = FEED_SIZE) -> dict[str, Any]:
    """What the header needs: unread count, the newest notifications and the newest id."""
    rows = with_safe_links(user, list(inbox(user)[:size]))
    items = []
    for n in rows:
        item = serialize(n)
        item["url"] = n.link
        del item["recipient"]
        items.append(item)
    return {"unread": unread_count(user), "items": items, "latest_id": rows[0].pk if rows else 0}
