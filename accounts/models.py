"""The sessions a user signed in with, so that they can see them and end the others.

Django's session table does not say whose a session is (its data is encoded); this row does. It
is written at sign-in and refreshed, at most once a minute, by ``accounts.middleware``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

# Checked in order: Edge and WeChat say "Chrome" and "Safari" too.
BROWSERS = [
    ("MicroMessenger", "微信"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
]
SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]


class UserSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions", verbose_name="用户"
    )
    session_key = models.CharField("会话", max_length=40, unique=True)
    created_at = models.DateTimeField("登录时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近活动", auto_now_add=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)

    class Meta:
        verbose_name = "登录会话"
        verbose_name_plural = "登录会话"
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def device(self) -> str:
        """A short guess at the browser and system, for people to recognise their own devices."""
        agent = self.user_agent
        browser = next(
            (name for key, name in BROWSERS if key in agent), "未知浏览器" if agent else "未记录的浏览器"
        )
        system = next((name for key, name in SYSTEMS if key in agent), "")
        return f"{browser} · {system}" if system else browser
