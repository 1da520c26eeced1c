"""Telling a user's open websockets to check that their session still holds.

The notification consumer (``notifications.consumers``) joins ``account_group(user_id)`` and, on an
``account.recheck`` event, re-reads its session (signed out, password changed, account disabled,
idle or expired: it closes) and its plan subscriptions (a seat removed: it leaves the plan). The
event carries nothing but the order to look: the database decides.

Call ``sockets_recheck`` after commit (``transaction.on_commit``), like every push.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

RECHECK_EVENT = "account.recheck"


def account_group(user_id: int) -> str:
    return f"account.{user_id}"


def sockets_recheck(user_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(account_group(user_id), {"type": RECHECK_EVENT})
    except Exception:  # a push is a hint: the socket also rechecks on its own every few seconds
        logger.warning("could not tell the sockets of user %s to recheck their session", user_id, exc_info=True)
