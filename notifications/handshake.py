"""What a websocket must show before the consumer sees it: the site's own origin, a known path.

channels' ``AllowedHostsOriginValidator`` compares only the host name of ``Origin`` with
``ALLOWED_HOSTS``: any scheme and any port of an allowed name passed (``http://127.0.0.1:9999``
opened a socket on a server at ``http://127.0.0.1:8200``). Here the origin must be the site itself:
the scheme, host and port the browser used for the page (the socket's own ``Host`` header and
scheme, the host allowed by ``ALLOWED_HOSTS``), or an origin listed in ``CSRF_TRUSTED_ORIGINS``.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host

from accounts.sessions import session_user

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def _normalise(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case with the default port dropped, or None if malformed."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname or parts.path or parts.query or parts.username:
        return None
    default = 443 if scheme == "https" else 80
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def _socket_scheme(scope: Scope) -> str:
    """The scheme of the page that opened this socket: wss → https, unless a trusted proxy says so."""
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        name = header.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        forwarded = _header(scope, name)
        if forwarded is not None:
            scheme = "https" if forwarded.split(",")[0].strip() == secure_value else "http"
    return scheme


def allowed_origins(scope: Scope) -> set[str]:
    """The origins a socket on this scope may come from."""
    trusted = {o for o in (_normalise(x) for x in settings.CSRF_TRUSTED_ORIGINS) if o and "*" not in o}
    host = _header(scope, b"host")
    if host:
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, settings.ALLOWED_HOSTS):
            own = _normalise(f"{_socket_scheme(scope)}://{host}")
            if own:
                trusted.add(own)
    return trusted


def origin_allowed(scope: Scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    normalised = _normalise(origin)
    return normalised is not None and normalised in allowed_origins(scope)


class SameOriginValidator:
    """ASGI middleware: refuse (HTTP 403 at the handshake) a socket from any other origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            logger.info("websocket refused: origin %r, host %r", _header(scope, b"origin"), _header(scope, b"host"))
            return await RefusedSocket()(scope, receive, send)
        return await self.application(scope, receive, send)


class SessionUserMiddleware:
    """ASGI middleware: who the socket belongs to, in one trip to the database.

    In place of channels' ``AuthMiddlewareStack``, which loaded the session and the user in one
    trip, after which the consumer loaded the session again to check that it still holds (idle
    timeout, second factor, password hash): a page opens a socket on every load, so that was two
    trips and four queries per page. Here ``accounts.sessions.session_user`` applies the one rule
    for pages and sockets once. The scope gets ``user`` (the user, or AnonymousUser when the
    session does not hold) and ``session_key``.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        cookies = parse_cookie(_header(scope, b"cookie") or "")
        key = cookies.get(settings.SESSION_COOKIE_NAME) or None
        user = await database_sync_to_async(session_user)(key) if key else None
        scope = dict(scope, user=user or AnonymousUser(), session_key=key if user else None)
        return await self.application(scope, receive, send)


class RefusedSocket(AsyncWebsocketConsumer):
    """Closes before accepting: the handshake answers 403. Also the route of every unknown path,
    which channels' router would otherwise answer with a ValueError (HTTP 500 and a traceback).
    It never hears the channel layer: no alias is configured under None, so it opens no channel
    (and, with Redis, polls nothing) for its moment of life."""

    channel_layer_alias = None

    async def connect(self) -> None:
        await self.close()
