"""Compiled SQL kept per process, for querysets whose text depends only on a small key.

Django compiles a queryset to SQL every time it runs, and nested permission querysets (guardian's
grant subqueries) cost several milliseconds of CPU per compilation. Where a query's text and
parameters are a function of a key alone (a user's id, a few codenames) and every row it reads is
read afresh by the database when it runs, the text can be compiled once and reused: nothing of the
data is kept, only the SQL. The memo is bounded and dropped whole when full."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

_MEMO: dict[Hashable, tuple[str, tuple[Any, ...]]] = {}
MAX_ENTRIES = 8192


def compiled(key: Hashable, build: Callable[[], QuerySet[Any]]) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of ``build()``'s queryset, compiled once per process and ``key``.
    ``key`` must determine the query's text: never pass a build whose SQL embeds data that can
    change (ids read from the database, dates), only what the key names."""
    found = _MEMO.get(key)
    if found is None:
        sql, params = build().query.sql_with_params()
        if len(_MEMO) >= MAX_ENTRIES:
            _MEMO.clear()
        found = _MEMO[key] = (sql, tuple(params))
    return found


def forget() -> None:
    """Drop every compiled query (tests that change content types or permissions' ids)."""
    _MEMO.clear()


CountPart = tuple[Hashable, Callable[[], QuerySet[Any]]]


def count_sum(parts: Sequence[CountPart]) -> int:
    """The sum of ``build().count()`` over ``parts``, in one query, each part's counted query
    compiled once per process and ``key`` (the same rule for the key as ``compiled``). For counts
    asked on every page: the header's 我的待办 adds up a few, one round trip instead of one each."""
    terms: list[str] = []
    params: list[Any] = []
    for key, build in parts:
        try:
            sql, part_params = compiled(key, _counted(build))
        except EmptyResultSet:  # a queryset that can hold nothing (.none()) counts 0
            continue
        terms.append(f"(SELECT COUNT(*) FROM ({sql}) counted_{len(terms)})")
        params.extend(part_params)
    if not terms:
        return 0
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(terms), params)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _counted(build: Callable[[], QuerySet[Any]]) -> Callable[[], QuerySet[Any]]:
    def counted() -> QuerySet[Any]:
        queryset = build()
        # A union is counted as it is (its parts chose their columns); anything else by its ids.
        return queryset if queryset.query.combinator else queryset.order_by().values("pk")

    return counted
