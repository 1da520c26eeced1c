"""Websocket hints after commit. Delivery is at most once, so a failure is logged and skipped:
the row is in the database and the page re-reads on (re)connect.

Contract used by other apps (keep the signatures):
- ``push_to_users(recipient_ids)``: new notifications exist for these users.
- ``plan_changed(plan_id)``: numbers of this plan changed (dashboards refresh).
Both are called only from ``transaction.on_commit`` callbacks.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def push_to_users(recipient_ids: list[int]) -> None:
    # Filled in by the websocket layer (issue: real-time notifications).
    logger.debug("push skipped for %d recipients: no websocket layer yet", len(recipient_ids))


def plan_changed(plan_id: int) -> None:
    logger.debug("plan %s changed: no websocket layer yet", plan_id)
