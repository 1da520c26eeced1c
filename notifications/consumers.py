"""The websocket every logged-in page opens (/ws/notifications/).

Server → client (JSON text frames):
- ``{"type": "notification", "item": {...}, "ts": <epoch s>}``: a new notification of this user;
- ``{"type": "sync", "ts": ...}``: the inbox changed (e.g. read in another tab): re-read it;
- ``{"type": "plan_changed", "plan": <id>, "ts": ...}``: a subscribed plan changed;
- ``{"type": "changed", "kind": "task", "id": N, "version": "5", "plan": <id>, "ts": ...}``: an object
  of a subscribed plan has a new version (open pages of it offer a refresh); ``id`` null: several
  of that kind in the plan changed at once (notifications.push.objects_changed);
- ``{"type": "subscribed", "plans": [...], "denied": [...], "org": <id>|null}``, ``{"type": "pong"}``,
  ``{"type": "error", "error": "<code>"}``.
Client → server: ``{"subscribe": "plan", "id": N}`` or ``{"subscribe": "plan", "ids": [...]}``,
``{"subscribe": "org"}`` (own organisation), ``{"unsubscribe": "plan", "id": N}``, ``{"ping": 1}``,
``{"catch_up": {"unread": N, "latest": id, "watch": {"task": [12], ...}}}``.

Everything pushed is a hint, and delivery is at most once. A page closes the gap between its
rendering and its socket's subscriptions with ``catch_up``, sent after its subscribe frames: what
its header showed (``unread``, ``latest``: notifications.selectors.inbox_state) and the objects it
watches (notifications.live). The answer, ``{"type": "caught_up", "inbox_changed": bool,
"versions": {...}}``, is read once the socket has joined its groups (frames are handled in order),
so whatever changes later reaches the socket as a hint; the page re-reads its inbox only if it
changed. After a reconnect the page re-reads everything over HTTP.

A socket follows its session (accounts.sessions.session_holds): when the session ends (signed out,
password changed, account disabled, idle or expired) the socket closes with 4401. It rechecks when
told to (``account.recheck``, sent by accounts.sockets after sign-out, a change of credentials, a
seat removed) and at most SESSION_RECHECK_SECONDS after its last check before it sends anything.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts.sessions import session_holds
from accounts.sockets import account_group
from notifications import push
from notifications.live import MAX_IDS, live_versions, version_sources
from notifications.permissions import can_watch_organisation
from notifications.selectors import inbox_state
from orgs.permissions import forget_permissions
from plans.selectors import visible_plans

logger = logging.getLogger(__name__)

MAX_FRAME_CHARS = 4096  # our client frames are tiny; anything bigger is refused
MAX_BAD_FRAMES = 20  # then the socket is closed: a broken or hostile client
MAX_PLAN_SUBSCRIPTIONS = 500
# Per-socket frame rate: a bucket of FRAME_BURST frames refilled at FRAME_RATE per second. A page
# sends a handful of frames on (re)connect and a ping every few minutes.
FRAME_BURST = 40
FRAME_RATE = 1.0
# Close codes an application may send are 1000 and 3000-4999 (RFC 6455 7.4.2; daphne's autobahn
# refuses 1008/1009 from the application): 4000 + the matching RFC or HTTP number.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_POLICY = 4008
CLOSE_TOO_BIG = 4009
CLOSE_TOO_FAST = 4429
# Without an event telling it to, a socket rechecks its session this often (when it has something
# to send or receives a frame): an expired session hears nothing more after this delay.
SESSION_RECHECK_SECONDS = 30.0


# Layer events whose handlers never touch the database.
# (They may recheck the session, through database_sync_to_async, at most every SESSION_RECHECK_SECONDS.)
DB_FREE_EVENTS = frozenset({"inbox.new", "inbox.sync", "plan.changed", "object.changed"})


class NotificationConsumer(AsyncWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        # channels runs close_old_connections() on the one thread-sensitive worker thread before
        # every handler. For a push fanned out to 1,000 sockets that is 1,000 hops through a single
        # thread (p95 700 ms in `bench notify`), for handlers that never use a connection. Database
        # work here goes through database_sync_to_async, which closes old connections itself.
        if message.get("type") in DB_FREE_EVENTS:
            handler = getattr(self, message["type"].replace(".", "_"))
            return await handler(message)
        return await super().dispatch(message)

    async def connect(self) -> None:
        # notifications.handshake.SessionUserMiddleware has applied accounts.sessions.session_user
        # (session, idle timeout, password hash, second factor): anonymous means it does not hold.
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Closing before accept refuses the handshake (HTTP 403): an anonymous socket holds nothing.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.session_key: str | None = self.scope.get("session_key")
        self.checked_at = time.monotonic()
        self.closed = False
        self.joined: set[str] = set()
        self.plans: set[int] = set()
        self.org: int | None = None
        self.bad_frames = 0
        self.tokens = float(FRAME_BURST)
        self.tokens_at = time.monotonic()
        await self._join(push.user_group(user.pk))
        await self._join(account_group(user.pk))
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self.closed = True
        for group in list(getattr(self, "joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = set()

    # --- client → server ------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._take_token():
            logger.info("websocket of user %s closed: more than %d frames at once", self.user.pk, FRAME_BURST)
            return await self.close(code=CLOSE_TOO_FAST)
        if not await self._session_still_holds():
            return
        if text_data is None:
            return await self._bad("binary_not_supported")
        if len(text_data) > MAX_FRAME_CHARS:
            logger.info("websocket of user %s closed: frame of %d chars", self.user.pk, len(text_data))
            return await self.close(code=CLOSE_TOO_BIG)
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
            return await self._bad("malformed_json")
        if not isinstance(message, dict):
            return await self._bad("not_an_object")
        if "ping" in message:
            # Pages ping every few minutes: re-adding refreshes group memberships, which channels_redis
            # would otherwise expire after a day on a page left open that long.
            for group in list(self.joined):
                await self.channel_layer.group_add(group, self.channel_name)
            return await self._send({"type": "pong"})
        if message.get("subscribe") == "plan":
            return await self._subscribe_plans(_ids(message))
        if message.get("subscribe") == "org":
            return await self._subscribe_org(message.get("id"))
        if message.get("unsubscribe") == "plan":
            return await self._unsubscribe_plans(_ids(message))
        if "catch_up" in message:
            return await self._catch_up(message["catch_up"])
        return await self._bad("unknown_message")

    async def _catch_up(self, raw: Any) -> None:
        shown = _catch_up(raw)
        if shown is None:
            return await self._bad("bad_catch_up")
        unread, latest, watch = shown
        state, versions = await self._inbox_and_versions(watch)
        changed = state["unread"] != unread or state["latest"] > latest
        await self._send({"type": "caught_up", "inbox_changed": changed, "versions": versions})

    @database_sync_to_async
    def _inbox_and_versions(self, watch: dict[str, list[int]]) -> tuple[dict[str, int], dict[str, dict[str, str]]]:
        forget_permissions(self.user)  # grants may have changed since the socket opened
        return inbox_state(self.user), live_versions(self.user, watch)

    async def _subscribe_plans(self, ids: list[int] | None) -> None:
        if ids is None:
            return await self._bad("bad_ids")
        wanted = [i for i in ids if i not in self.plans]
        if len(self.plans) + len(wanted) > MAX_PLAN_SUBSCRIPTIONS:
            return await self._send({"type": "error", "error": "too_many_subscriptions"})
        allowed = await self._visible_plan_ids(wanted) if wanted else set()
        for plan_id in sorted(allowed):
            await self._join(push.plan_group(plan_id))
            self.plans.add(plan_id)
        denied = sorted(set(wanted) - allowed)
        await self._send({"type": "subscribed", "plans": sorted(self.plans), "denied": denied, "org": None})

    async def _subscribe_org(self, org_id: Any) -> None:
        own = self.user.organisation_id
        target = own if org_id is None else org_id
        if type(target) is not int or not can_watch_organisation(self.user, target):
            return await self._send(
                {"type": "subscribed", "plans": sorted(self.plans), "denied": [], "org": None, "error": "forbidden"}
            )
        await self._join(push.org_group(target))
        self.org = target
        await self._send({"type": "subscribed", "plans": sorted(self.plans), "denied": [], "org": target})

    async def _unsubscribe_plans(self, ids: list[int] | None) -> None:
        for plan_id in ids or []:
            if plan_id in self.plans:
                self.plans.discard(plan_id)
                group = push.plan_group(plan_id)
                await self.channel_layer.group_discard(group, self.channel_name)
                self.joined.discard(group)
        await self._send({"type": "subscribed", "plans": sorted(self.plans), "denied": [], "org": None})

    @database_sync_to_async
    def _visible_plan_ids(self, ids: list[int]) -> set[int]:
        # Grants may have changed since the socket opened: never trust the scope user's cached checker.
        forget_permissions(self.user)
        return set(visible_plans(self.user).filter(pk__in=ids).values_list("pk", flat=True))

    @database_sync_to_async
    def _check_session(self) -> tuple[bool, set[int], bool]:
        """Whether the session holds, which subscribed plans are still visible, whether the
        organisation subscription still holds: one trip to the database."""
        if not session_holds(self.session_key, self.user.pk):
            return False, set(), False
        forget_permissions(self.user)
        self.user.refresh_from_db(fields=["organisation", "bureau_role", "is_active", "is_staff", "is_superuser"])
        plans = (
            set(visible_plans(self.user).filter(pk__in=self.plans).values_list("pk", flat=True))
            if self.plans
            else set()
        )
        org_ok = self.org is None or can_watch_organisation(self.user, self.org)
        return True, plans, org_ok

    async def _session_still_holds(self, *, now: bool = False) -> bool:
        """Recheck the session if told to (``now``) or if the last check is old; close if it ended,
        and leave plans and the organisation the user may no longer see."""
        if self.closed:
            return False
        if not now and time.monotonic() - self.checked_at < SESSION_RECHECK_SECONDS:
            return True
        self.checked_at = time.monotonic()
        holds, plans, org_ok = await self._check_session()
        if not holds:
            logger.info("websocket of user %s closed: the session ended", self.user.pk)
            self.closed = True
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        for plan_id in self.plans - plans:
            await self._leave(push.plan_group(plan_id))
        self.plans &= plans
        if not org_ok and self.org is not None:
            await self._leave(push.org_group(self.org))
            self.org = None
        return True

    # --- layer → client -------------------------------------------------------------------------

    async def account_recheck(self, event: dict[str, Any]) -> None:
        await self._session_still_holds(now=True)

    async def inbox_new(self, event: dict[str, Any]) -> None:
        if not await self._session_still_holds():
            return
        item = dict(event.get("item") or {})
        if item.pop("recipient", None) != self.user.pk:  # defence in depth: groups are per user already
            logger.error("notification for another user reached user %s's socket: dropped", self.user.pk)
            return
        await self._send({"type": "notification", "item": item, "ts": event.get("ts")})

    async def inbox_sync(self, event: dict[str, Any]) -> None:
        if not await self._session_still_holds():
            return
        await self._send({"type": "sync", "ts": event.get("ts")})

    async def plan_changed(self, event: dict[str, Any]) -> None:
        if not await self._session_still_holds():
            return
        await self._send({"type": "plan_changed", "plan": event.get("plan"), "ts": event.get("ts")})

    async def object_changed(self, event: dict[str, Any]) -> None:
        if not await self._session_still_holds():
            return
        plan_id = event.get("plan")
        if plan_id not in self.plans:  # defence in depth: only subscribers of the plan are in its group
            logger.error("change of plan %s reached user %s's socket, not subscribed: dropped", plan_id, self.user.pk)
            return
        await self._send(
            {
                "type": "changed",
                "kind": event.get("kind"),
                "id": event.get("id"),
                "version": event.get("version"),
                "plan": plan_id,
                "ts": event.get("ts"),
            }
        )

    # --- helpers --------------------------------------------------------------------------------

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(FRAME_BURST), self.tokens + (now - self.tokens_at) * FRAME_RATE)
        self.tokens_at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.discard(group)

    async def _send(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    async def _bad(self, error: str) -> None:
        self.bad_frames += 1
        if self.bad_frames > MAX_BAD_FRAMES:
            logger.info("websocket of user %s closed after %d bad frames", self.user.pk, self.bad_frames)
            return await self.close(code=CLOSE_POLICY)
        await self._send({"type": "error", "error": error})


def _catch_up(raw: Any) -> tuple[int, int, dict[str, list[int]]] | None:
    """``(unread, latest, watch)`` from a catch_up frame, or None if it is not one."""
    if not isinstance(raw, dict):
        return None
    counts = _int_list([raw.get("unread"), raw.get("latest")], limit=2, minimum=0)
    watch = raw.get("watch", {})
    if counts is None or not isinstance(watch, dict):
        return None
    kinds = version_sources()
    wanted: dict[str, list[int]] = {}
    for kind, raw_ids in watch.items():
        ids = _int_list(raw_ids, limit=MAX_IDS, minimum=0)  # 我的待办 is watched as inbox 0
        if kind not in kinds or ids is None:
            return None
        wanted[kind] = sorted(set(ids))
    return counts[0], counts[1], wanted


def _ids(message: dict[str, Any]) -> list[int] | None:
    raw = message.get("ids") if "ids" in message else [message.get("id")]
    return _int_list(raw, limit=MAX_PLAN_SUBSCRIPTIONS, minimum=1)


def _int_list(raw: Any, *, limit: int, minimum: int) -> list[int] | None:
    """``raw`` if it is a list of at most ``limit`` integers from ``minimum`` to below 2**63."""
    if not isinstance(raw, list) or len(raw) > limit:
        return None
    # bool is an int in Python: refuse it explicitly, like any other non-integer id.
    if not all(isinstance(i, int) and not isinstance(i, bool) and minimum <= i < 2**63 for i in raw):
        return None
    return raw
