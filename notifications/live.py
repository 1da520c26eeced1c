"""Versions of what open pages show, so that a page can tell it is stale (static/js/live_pages.js).

A page renders ``data-live-watch="<kind>:<id>:<version>"`` for each object it offers actions on (a
task, a stage gate, the user's inbox). Websocket hints (``changed``, ``plan_changed``) are at most
once, so on every (re)connect, when the tab comes back and on a light poll the page asks
``live_versions`` for the current versions and compares. The server remains the judge: a stale
POST is refused by the services' own checks (the task's version, the gate's rules).

Apps above declare what they can answer for, as they declare audit labels:
``live_versions = {"task": "tasks.live:task_versions"}`` on their AppConfig (``module:function``,
as entry points are written: a dotted ``app.x.y`` string would read as an audit action to the label
scan in tests/audit). Each function has the signature ``(user, ids: list[int]) -> dict[int, dict[str, str]]`` (``{"version": ..., "label": ...}``)
and returns only objects the user may see: an id it leaves out reads as "gone" to the page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from django.apps import apps

MAX_IDS = 200  # per kind and request; a page watches a handful

VersionSource = Callable[[Any, list[int]], dict[int, dict[str, str]]]


@cache
def version_sources() -> dict[str, VersionSource]:
    """``kind -> function`` from every installed app's ``AppConfig.live_versions``."""
    sources: dict[str, VersionSource] = {}
    for config in apps.get_app_configs():
        for kind, target in getattr(config, "live_versions", {}).items():
            module, _, name = target.partition(":")
            sources[kind] = getattr(importlib.import_module(module), name)
    return sources


def parse_ids(raw: str) -> list[int] | None:
    """``"1,2,3"`` → ``[1, 2, 3]``; None for anything else (too many, not positive integers)."""
    parts = [p for p in raw.split(",") if p]
    if len(parts) > MAX_IDS or not all(p.isascii() and p.isdecimal() and len(p) < 19 for p in parts):
        return None
    return sorted({int(p) for p in parts})


def live_versions(user: Any, wanted: dict[str, list[int]]) -> dict[str, dict[str, str]]:
    """``{"task:12": {"version": "5", "label": "已退回"}, ...}`` for what the user may see of ``wanted``.

    Unknown kinds are ignored; objects the user may not see (another school's ids) are left out,
    exactly like ids that do not exist.
    """
    sources = version_sources()
    found: dict[str, dict[str, str]] = {}
    for kind, ids in wanted.items():
        source = sources.get(kind)
        if source is None or not ids:
            continue
        for pk, info in source(user, ids).items():
            found[f"{kind}:{pk}"] = info
    return found
