"""Creating notifications. Rows are written inside the caller's transaction; the push to open
pages is scheduled for after commit (see notifications.push)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from notifications.models import Notification


def notify(
    *,
    recipients: Iterable[Any],
    kind: str,
    text: str,
    url: str = "",
    plan: Any = None,
    task: Any = None,
    exclude: Any = None,
) -> list[Notification]:
    """Store one notification per distinct recipient (minus ``exclude``, usually the actor).

    The caller must hold the transaction that makes the change the notification reports.
    """
    seen: set[int] = set()
    rows = []
    exclude_id = getattr(exclude, "pk", None)
    for user in recipients:
        if user is None or user.pk in seen or user.pk == exclude_id or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, text=text[:300], url=url, plan=plan, task=task))
    created = Notification.objects.bulk_create(rows)
    if created:
        ids = [n.recipient_id for n in created]
        transaction.on_commit(lambda: _push(ids))
    return created


def _push(recipient_ids: list[int]) -> None:
    from notifications import push

    push.push_to_users(recipient_ids)
