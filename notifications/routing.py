"""Websocket routes (wrapped by planhub.asgi in origin validation and session auth)."""

from django.urls import path, re_path

from notifications.consumers import NotificationConsumer
from notifications.handshake import RefusedSocket

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    # Any other path is refused at the handshake (403) instead of failing in the router (500).
    re_path(r"", RefusedSocket.as_asgi()),
]
