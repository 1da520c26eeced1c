"""Conditions on long lists of ids (a city's dashboard asks about thousands of plans at once).

On PostgreSQL the list travels as ONE array parameter (``= ANY(%s)``): with one placeholder per id,
psycopg spent tens of milliseconds splitting and rebuilding each query text and the server parsed
thousands of literals. Elsewhere (SQLite) it stays a list of placeholders.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Lookup


def ids_condition(column: str, ids: list[int], vendor: str | None = None) -> tuple[str, list[Any]]:
    """``column`` among ``ids``, for raw SQL: (condition, parameters)."""
    if (vendor or connection.vendor) == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


class InIds(Lookup):
    """``InIds(F("plan_id"), ids)`` in ``filter()``: the ORM's ``__in`` with one array parameter on
    PostgreSQL."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return [int(pk) for pk in self.rhs]

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        condition, params = ids_condition(lhs, self.rhs, vendor=connection.vendor)
        return condition, [*lhs_params, *params]
