"""Websocket routes (wrapped by planhub.asgi in origin validation and session auth)."""

websocket_urlpatterns: list = []
