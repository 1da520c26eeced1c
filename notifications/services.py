"""Writes for notifications. Rows are written inside the caller's transaction; the push to open
pages is scheduled for after commit (see notifications.push)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from notifications import push
from notifications.models import Notification
from plans.permissions import can_view_plan

logger = logging.getLogger(__name__)


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    text: str,
    url: str = "",
    plan: Any = None,
    exclude: Any = None,
) -> list[Notification]:
    """Store one notification per distinct recipient (minus ``exclude``, usually the actor).

    The caller must hold the transaction that makes the change the notification reports; the push
    runs after that transaction commits and is skipped if it rolls back. Invariants kept here, so
    that no caller can break them:
    - inactive users and users who may not see ``plan`` get nothing: a notification's text and
      link never reach someone the object is hidden from;
    - ``url`` is a local path ("/..."); anything else is dropped.
    """
    link = _safe_url(url)
    seen: set[int] = set()
    rows = []
    exclude_id = getattr(exclude, "pk", None)
    for user in recipients:
        if user is None or user.pk in seen or user.pk == exclude_id or not user.is_active:
            continue
        seen.add(user.pk)
        if plan is not None and not can_view_plan(user, plan):
            logger.warning("notification %r not sent to user %s: they may not see plan %s", kind, user.pk, plan.pk)
            continue
        rows.append(Notification(recipient=user, kind=kind, text=text[:300], url=link, plan=plan))
    created = Notification.objects.bulk_create(rows)
    if created:
        transaction.on_commit(lambda: _push(created))
    return created


def _safe_url(url: str) -> str:
    # Only same-site paths: a stored link is rendered as href on every page header.
    if url.startswith("/") and not url.startswith(("//", "/\\")) and len(url) <= 200:
        return url
    if url:
        logger.warning("notification link dropped, not a local path: %r", url[:100])
    return ""


def _push(notifications: list[Notification]) -> None:
    push.push_notifications(notifications)


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: int) -> bool:
    """Mark one of the user's own notifications read. Idempotent: True only if this call changed it.

    Raises Notification.DoesNotExist for an id that is not the user's (callers answer 404, so a
    foreign id looks like an unknown one).
    """
    if not Notification.objects.filter(pk=notification_id, recipient=user).exists():
        raise Notification.DoesNotExist(notification_id)
    changed = Notification.objects.filter(pk=notification_id, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        _sync_other_pages(user)
    return bool(changed)


@transaction.atomic
def notifications_mark_all_read(*, user: Any, upto_id: int | None = None) -> int:
    """Mark the user's unread notifications read, only up to ``upto_id`` when given (the newest one
    the page showed), so one that arrived meanwhile stays unread. Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if upto_id is not None:
        unread = unread.filter(pk__lte=upto_id)
    changed = unread.update(read_at=timezone.now())
    if changed:
        _sync_other_pages(user)
    return changed


def notifications_settle(*, kind: str, url: str) -> int:
    """Requests that someone acted on are no longer waiting: every unread notification of ``kind``
    pointing at ``url`` becomes read, for every recipient (e.g. 请审核 once a reviewer closed or
    returned the task). Runs inside the acting transition; the recipients' badges are told after
    commit. Returns how many changed."""
    unread = Notification.objects.filter(kind=kind, url=url, read_at__isnull=True)
    recipients = list(unread.values_list("recipient_id", flat=True).distinct())
    changed = unread.update(read_at=timezone.now())
    if changed:
        transaction.on_commit(lambda: push.push_to_users(recipients))
    return changed


def _sync_other_pages(user: Any) -> None:
    # Other tabs of the same user update their badge; after commit, like every push.
    user_id = user.pk
    transaction.on_commit(lambda: push.push_to_users([user_id]))
