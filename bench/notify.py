"""Notification delivery: N logged-in websocket clients, one notification each, commit → receipt.

`manage.py bench notify --clients N [--servers K] [--mode each|batch] --json`

- Starts K real daphne processes (K = 2 with REDIS_URL, else 1: the in-memory layer lives in one
  process) serving bench.asgi_trigger, with a channel-layer prefix of its own.
- Creates N users with stored sessions in the configured database, opens one authenticated
  websocket per user (spread over the servers), then asks the first server to create one
  notification per user through ``notify()`` (``each``: one transaction per notification;
  ``batch``: one transaction for all), so with K = 2 half of them cross processes via Redis.
- Latency = receipt time in the client − the time the server's on-commit push started (the
  ``ts`` of the message; same machine, same clock). A client with nothing after --timeout is lost.
- Removes its users, sessions and notifications afterwards.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import math
import resource
import secrets
import time
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone


def add_arguments(parser) -> None:
    parser.add_argument("--clients", type=int, default=100, help="Websocket clients (one user each).")
    parser.add_argument(
        "--servers", type=int, default=None, help="Server processes (default: 2 with REDIS_URL, else 1)."
    )
    parser.add_argument(
        "--mode",
        choices=["each", "batch"],
        default="each",
        help="each: one transaction per notification; batch: one transaction for all.",
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait for deliveries.")
    parser.add_argument("--connect-concurrency", type=int, default=64, help="Handshakes in flight at once.")
    parser.add_argument("--log-dir", help="Write each server's output to <dir>/bench-server-<k>.log.")


def run(options: dict[str, Any]) -> dict[str, Any]:
    from bench.harness import AsgiServer

    clients = options["clients"]
    redis = bool(settings.REDIS_URL)
    servers = options["servers"] or (2 if redis else 1)
    if servers > 1 and not redis:
        raise CommandError(
            "The in-memory channel layer only works inside one process: use --servers 1 or set REDIS_URL."
        )
    if clients < 1:
        raise CommandError("--clients must be at least 1.")
    _raise_open_file_limit(clients + 256)
    users = _create_users(clients)
    token = secrets.token_urlsafe(24)
    env = {
        "PLANHUB_BENCH_TOKEN": token,
        "CHANNEL_LAYER_PREFIX": f"bench-{secrets.token_hex(6)}",
        "LOG_LEVEL": "WARNING",
    }
    started: list[AsgiServer] = []
    sessions: list[tuple[int, str]] = []
    try:
        sessions = _create_sessions(users)
        for k in range(servers):
            log = f"{options['log_dir']}/bench-server-{k}.log" if options.get("log_dir") else None
            started.append(AsgiServer(env=env, app="bench.asgi_trigger:application", log_path=log).start())
        figures = asyncio.run(
            _measure(
                ports=[s.port for s in started],
                sessions=sessions,
                token=token,
                mode=options["mode"],
                timeout=options["timeout"],
                concurrency=options["connect_concurrency"],
            )
        )
    finally:
        for server in started:
            server.stop()
        _clean_up(users, [key for _, key in sessions])
    return {
        "layer": "redis" if redis else "in-memory",
        "servers": servers,
        "clients": clients,
        "mode": options["mode"],
        **figures,
    }


def create_notifications(user_ids: list[int], mode: str) -> int:
    """Called inside the server process (bench.asgi_trigger), on a worker thread like a view."""
    from notifications.models import Notification
    from notifications.services import notify
    from orgs.models import User

    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    if mode == "batch":
        with transaction.atomic():
            return len(notify(recipients=users, kind=Notification.Kind.NUDGE, text="性能测试通知"))
    created = 0
    for i, user in enumerate(users, start=1):
        with transaction.atomic():
            created += len(notify(recipients=[user], kind=Notification.Kind.NUDGE, text=f"性能测试通知 {i}"))
    return created


async def _measure(
    *, ports: list[int], sessions: list[tuple[int, str]], token: str, mode: str, timeout: float, concurrency: int
) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    cookie_name = settings.SESSION_COOKIE_NAME
    gate = asyncio.Semaphore(concurrency)
    sockets: list[tuple[int, Any]] = []
    server_of: dict[int, int] = {}
    failed = 0

    async def open_one(i: int, user_id: int, key: str) -> None:
        nonlocal failed
        port = ports[i % len(ports)]
        server_of[user_id] = i % len(ports)
        async with gate:
            try:
                ws = await connect(
                    f"ws://127.0.0.1:{port}/ws/notifications/",
                    origin=f"http://127.0.0.1:{port}",
                    additional_headers={"Cookie": f"{cookie_name}={key}"},
                    ping_interval=None,
                    open_timeout=60,
                )
            except Exception:
                failed += 1
                return
        sockets.append((user_id, ws))

    began = time.perf_counter()
    await asyncio.gather(*(open_one(i, uid, key) for i, (uid, key) in enumerate(sessions)))
    connect_s = time.perf_counter() - began

    latencies: dict[int, float] = {}
    everyone = asyncio.Event()

    async def read(user_id: int, ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") == "notification":
                    latencies[user_id] = (now - message["ts"]) * 1000
                    if len(latencies) == len(sockets):
                        everyone.set()
                    return
        except Exception:
            return

    readers = [asyncio.create_task(read(uid, ws)) for uid, ws in sockets]
    began = time.perf_counter()
    created = await asyncio.to_thread(_trigger, ports[0], token, [uid for uid, _ in sessions], mode)
    create_s = time.perf_counter() - began
    try:
        await asyncio.wait_for(everyone.wait(), timeout)
    except TimeoutError:
        pass
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for _, ws in sockets), return_exceptions=True)

    values = sorted(latencies.values())
    return {
        "connected": len(sockets),
        "connect_failed": failed,
        "created": created,
        "delivered": len(values),
        "lost": len(sessions) - len(values),
        "lost_per_server": [
            sum(1 for uid, k in server_of.items() if k == s and uid not in latencies) for s in range(len(ports))
        ],
        "p50_ms": _percentile(values, 0.50),
        "p95_ms": _percentile(values, 0.95),
        "max_ms": round(values[-1], 1) if values else None,
        "connect_s": round(connect_s, 2),
        "create_s": round(create_s, 2),
    }


def _trigger(port: int, token: str, user_ids: list[int], mode: str) -> int:
    from bench.asgi_trigger import TRIGGER_PATH

    body = json.dumps({"token": token, "user_ids": user_ids, "mode": mode}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{TRIGGER_PATH}", data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (loopback only)
        return json.loads(response.read())["created"]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))], 1)


def _raise_open_file_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            raise CommandError(f"Need {needed} open files, the hard limit is {hard}: lower --clients.")


def _create_users(count: int) -> list[Any]:
    from django.contrib.auth.hashers import make_password

    from orgs.models import User

    run = secrets.token_hex(3)
    password = make_password(None)  # unusable: these users only ever log in through a stored session
    return User.objects.bulk_create(
        [
            User(username=f"bench_notify_{run}_{i:05d}", full_name=f"压测用户{i}", password=password)
            for i in range(count)
        ]
    )


def _create_sessions(users: list[Any]) -> list[tuple[int, str]]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        from bench.harness import session_key_for

        return [(u.pk, session_key_for(u)) for u in users]
    store = SessionStore()
    expires = timezone.now() + datetime.timedelta(hours=2)
    rows, pairs = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        pairs.append((user.pk, key))
    Session.objects.bulk_create(rows, batch_size=500)
    return pairs


def _clean_up(users: list[Any], session_keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from notifications.models import Notification
    from orgs.models import User

    ids = [u.pk for u in users]
    Notification.objects.filter(recipient_id__in=ids).delete()
    Session.objects.filter(session_key__in=session_keys).delete()
    User.objects.filter(pk__in=ids).delete()
