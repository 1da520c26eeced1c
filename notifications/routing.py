"""Websocket routes (wrapped by planhub.asgi in origin validation and session auth)."""

from django.urls import path

from notifications.consumers import NotificationConsumer

websocket_urlpatterns: list = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]
