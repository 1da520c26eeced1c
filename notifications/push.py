"""Websocket hints after commit. Delivery is at most once, so a failure is logged and skipped:
the row is in the database and the page re-reads on (re)connect.

Contract used by other apps (keep the signatures):
- ``push_to_users(recipient_ids)``: new notifications exist for these users (or they read some);
  their open pages re-read the inbox.
- ``plan_changed(plan_id)``: numbers of this plan changed (dashboards refresh).
- ``object_changed(plan_id, kind, obj_id, version)``: one object of this plan (a task) has a new
  version; open pages showing an older one offer a refresh instead of stale actions (static/js/live_pages.js).
- ``objects_changed(plan_id, kind, versions)``: several at once (one service changed many); past
  ``OBJECTS_CHANGED_ONE_BY_ONE`` of them, one hint with ``id`` None: any of that kind in the plan.
  Every change of a task's version sends one of these two: a task page relies on them and does not
  re-read its versions on every ``plan_changed``.
All are called only from ``transaction.on_commit`` callbacks, never inside a transaction: a push
that raced ahead of its commit would send the page to re-read a database that has not changed yet.

Groups (names are ASCII, as channels requires):
- ``user.<id>``: every open page of one user. Only that user's sockets ever join it.
- ``plan.<id>``: pages that subscribed to one plan after a ``can_view_plan`` check.
- ``org.<id>``: pages of the members of one organisation that subscribed to it; a plan change is
  sent to the groups of every organisation that may see the plan's school (the school, its centre,
  its bureau and the bureau's supervision office), so one subscription covers an overseer's
  dashboard of many schools.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from orgs.grants import viewer_organisations
from plans.models import Plan

logger = logging.getLogger(__name__)

# A push is a hint: never hold a request for long because the layer (Redis) is slow or down.
PUSH_TIMEOUT_SECONDS = 2.0
# channels_redis opens a connection per concurrent call: keep the fan-out to a bounded batch.
PUSH_CONCURRENCY = 64
# Which organisations see a plan changes rarely; a short cache saves the tree walk per transition.
VIEWER_CACHE_SECONDS = 60.0
# objects_changed: up to this many objects get a hint each; more get one hint for the whole plan.
OBJECTS_CHANGED_ONE_BY_ONE = 20
_viewer_cache: dict[int, tuple[float, list[int]]] = {}


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def plan_group(plan_id: int) -> str:
    return f"plan.{plan_id}"


def org_group(org_id: int) -> str:
    return f"org.{org_id}"


def push_to_users(recipient_ids: list[int]) -> None:
    """Tell the open pages of these users to re-read their inbox (no content travels)."""
    ids = sorted({int(i) for i in recipient_ids})
    _send([(user_group(i), {"type": "inbox.sync"}) for i in ids], what=f"sync for {len(ids)} users")


def push_notifications(notifications: Iterable[Any]) -> None:
    """Send each new notification to its recipient's open pages (for the toast), as a re-read hint.

    Each message goes to the recipient's own group only, and carries the recipient id so that the
    consumer can refuse anything addressed to someone else.
    """
    messages = [(user_group(n.recipient_id), {"type": "inbox.new", "item": serialize(n)}) for n in notifications]
    _send(messages, what=f"{len(messages)} notifications")


def plan_changed(plan_id: int) -> None:
    """Tell dashboards showing this plan to refresh (subscribers of the plan and of its overseers)."""
    try:
        orgs = _viewer_org_ids(plan_id)
    except Exception:  # a hint must never break the caller's (already committed) action
        logger.exception("plan %s changed: could not resolve its overseers, only plan subscribers told", plan_id)
        orgs = []
    groups = [plan_group(plan_id), *(org_group(o) for o in orgs)]
    _send([(g, {"type": "plan.changed", "plan": plan_id}) for g in groups], what=f"plan {plan_id} changed")


def object_changed(plan_id: int, kind: str, obj_id: int, version: int | str) -> None:
    """Tell pages subscribed to this plan that one of its objects has a new version.

    Sent to the plan's group only (``plan.<id>``): its members passed ``can_view_plan`` when they
    subscribed and are rechecked by the consumer, and whoever may see a plan may see its tasks
    (tasks.permissions.can_view_task). Overseers' organisation groups get the coarser plan.changed.
    """
    objects_changed(plan_id, kind, [(obj_id, version)])


def objects_changed(plan_id: int, kind: str, versions: Sequence[tuple[int, int | str]]) -> None:
    """``object_changed`` for several objects of one plan, in one batch; past
    ``OBJECTS_CHANGED_ONE_BY_ONE`` of them a single hint whose ``id`` and ``version`` are None: pages
    watching any object of that kind in the plan re-read their versions."""
    if not versions:
        return
    hints: Sequence[tuple[int | None, int | str | None]] = versions
    if len(versions) > OBJECTS_CHANGED_ONE_BY_ONE:
        hints = [(None, None)]
    messages = [
        (
            plan_group(plan_id),
            {
                "type": "object.changed",
                "plan": plan_id,
                "kind": kind,
                "id": pk,
                "version": None if v is None else str(v),
            },
        )
        for pk, v in hints
    ]
    _send(messages, what=f"{len(versions)} {kind}(s) of plan {plan_id} changed")


def serialize(n: Any) -> dict[str, Any]:
    """The JSON shape of a notification, shared by the push and the HTTP feed."""
    return {
        "id": n.pk,
        "recipient": n.recipient_id,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        "text": n.shown_text,  # led by the plan's title (Notification.shown_text)
        "plan_title": n.plan_title if hasattr(n, "plan_title") else (n.plan.title if n.plan_id else ""),
        "url": n.url,
        "created_at": n.created_at.isoformat() if n.created_at else None,
        "read": n.read_at is not None,
    }


def _viewer_org_ids(plan_id: int) -> list[int]:
    now = time.monotonic()
    hit = _viewer_cache.get(plan_id)
    if hit and now - hit[0] < VIEWER_CACHE_SECONDS:
        return hit[1]
    plan = Plan.objects.select_related("school").filter(pk=plan_id).first()
    ids = [o.pk for o in viewer_organisations(plan.school)] if plan else []
    if len(_viewer_cache) > 10_000:
        _viewer_cache.clear()
    _viewer_cache[plan_id] = (now, ids)
    return ids


def _send(messages: list[tuple[str, dict[str, Any]]], *, what: str) -> None:
    if not messages:
        return
    layer = get_channel_layer()
    if layer is None:
        logger.info("push skipped (%s): no channel layer configured", what)
        return
    stamp = time.time()  # the commit time, as far as the receiver is concerned (benchmarks read it)
    for _, message in messages:
        message["ts"] = stamp
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception as exc:  # Redis down or slow: the rows are stored; pages catch up on reconnect
        logger.warning("push skipped (%s): %s: %s", what, type(exc).__name__, exc)


async def _send_all(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    # Each batch has its own deadline: a layer that hangs costs one timeout, not one per message.
    for start in range(0, len(messages), PUSH_CONCURRENCY):
        chunk = messages[start : start + PUSH_CONCURRENCY]
        await asyncio.wait_for(
            asyncio.gather(*(layer.group_send(group, message) for group, message in chunk)),
            timeout=PUSH_TIMEOUT_SECONDS,
        )
