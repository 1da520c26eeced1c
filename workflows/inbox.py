"""Sections of 我的待办 contributed by apps above workflows (acceptance's inspections and
rectification items), gathered as audit.labels gathers audit labels.

An app declares ``inbox_sources = ("app.module", ...)`` on its AppConfig. Each named module has
``inbox_sections(user) -> list[InboxSection]`` for the page and ``inbox_count(user) -> int`` for
the number beside 我的待办 in the header (shown on every page: one small query, no rows); a module
may offer ``inbox_count_parts(user)`` besides (``core.sqlmemo.CountPart``s), which the header adds
to its own counts in a single query. Both return only what the user may see and act on; a source
with nothing for the user returns no section (the page shows no empty card for work a user never
has).
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from django.apps import apps

from core import sqlmemo


@dataclass(frozen=True)
class InboxEntry:
    """One thing waiting for the user: a link, a line of detail, a badge."""

    title: str
    url: str
    detail: str = ""
    badge: str = ""
    due_on: datetime.date | None = None
    overdue: bool = False


@dataclass
class InboxSection:
    """A card of the inbox: ``key`` is its HTML id, ``label`` its tile at the top of the page."""

    key: str
    title: str
    label: str
    entries: list[InboxEntry] = field(default_factory=list)


@cache
def inbox_sources() -> tuple[ModuleType, ...]:
    """The source modules declared by installed apps (``AppConfig.inbox_sources``), in app order."""
    return tuple(
        importlib.import_module(path)
        for config in apps.get_app_configs()
        for path in getattr(config, "inbox_sources", ())
    )


def contributed_sections(user: Any) -> list[InboxSection]:
    """Every contributed section with something for ``user``."""
    return [section for source in inbox_sources() for section in source.inbox_sections(user) if section.entries]


def contributed_count(user: Any) -> int:
    """What the contributed sections hold for ``user``, counted (the header's share of them)."""
    parts, counted = contributed_count_parts(user)
    return counted + sqlmemo.count_sum(parts)


def contributed_count_parts(user: Any) -> tuple[list[sqlmemo.CountPart], int]:
    """The sources' counts as query parts to add up in one query, and what sources without parts
    counted on their own."""
    parts: list[sqlmemo.CountPart] = []
    counted = 0
    for source in inbox_sources():
        if hasattr(source, "inbox_count_parts"):
            parts.extend(source.inbox_count_parts(user))
        else:
            counted += source.inbox_count(user)
    return parts, counted
