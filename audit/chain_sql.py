"""The chain walk done inside PostgreSQL (audit.chain.verify uses it there).

Walking five million entries in Python (fetch every column, rebuild the canonical JSON, hash it)
costs about 0.1 ms a row. Here the database does the per-row work in C and sends back only the
first entry that is wrong: for each entry it hashes the stored canonical bytes as stored
(``sha256(convert_to(canonical, 'UTF8'))``, never a re-serialisation), compares the stored hash, the
link to the previous entry's hash (``lag``), the gapless sequence (``row_number``), and whether the
columns still say what the hashed bytes say (``canonical::jsonb`` against ``jsonb_build_object`` of
the columns, so jsonb's own key order does not matter). The sequence is cut into segments at fixed
numbers; each segment is checked by its own connection (a thread each: the work is in the database
server, which uses one core per connection), starting from the stored hash of the entry before it,
and the boundary entries are checked to exist, so the segments together cover every link.

Anything the database cannot read as JSON (a hand-edited ``canonical``) makes the caller fall back
to the Python walk, which names the entry.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections, transaction

# Segments are worth their connections only on large trails; tests (one connection, inside a
# transaction other connections cannot see) stay below this.
PARALLEL_FROM = 200_000
IN_THREADS = True  # False: the segments one after another on this connection (tests)

# The columns as canonical text, around the data (``pre`` + data + ``post``): the common case is a
# plain text comparison; strings that need JSON escaping, and data, are compared by meaning.
_COLUMNS_TEXT = """
    '{"action":"' || e.action || '","actor":' || coalesce(e.actor_id::text, 'null') || ',"at":"'
    || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00","data":' AS pre,
    ',"from":"' || e.from_state || '","plan":' || coalesce(e.plan_id::text, 'null') || ',"prev":"' || e.prev_hash
    || '","reason":"' || e.reason || '","seq":' || e.seq::text || ',"target_id":' || e.target_id::text
    || ',"target_type":"' || e.target_type || '","to":"' || e.to_state || '"}' AS post
"""

_COLUMNS_OK = """
    CASE
        WHEN e.canonical = c.pre || '{}' || c.post THEN e.data = '{}'::jsonb
        WHEN starts_with(e.canonical, c.pre) AND right(e.canonical, length(c.post)) = c.post
            THEN substr(e.canonical, length(c.pre) + 1, length(e.canonical) - length(c.pre) - length(c.post))::jsonb
                 = e.data
        ELSE e.canonical::jsonb = jsonb_build_object(
            'seq', e.seq, 'prev', e.prev_hash,
            'at', to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+00:00',
            'actor', e.actor_id, 'action', e.action, 'plan', e.plan_id, 'target_type', e.target_type,
            'target_id', e.target_id, 'from', e.from_state, 'to', e.to_state, 'reason', e.reason, 'data', e.data)
    END
"""

_FIRST_BAD = f"""
WITH t AS (
    SELECT e.id, e.seq, e.prev_hash,
           row_number() OVER w AS rn,
           COALESCE(lag(e.hash) OVER w, %(start_prev)s) AS prev_real,
           sha256(convert_to(e.canonical, 'UTF8')) = decode(e.hash, 'hex') AS hash_ok,
           {_COLUMNS_OK} AS cols_ok
    FROM audit_auditentry e, LATERAL (SELECT {_COLUMNS_TEXT}) c
    WHERE e.seq > %(after)s AND e.seq <= %(upto)s
    WINDOW w AS (ORDER BY e.seq)
)
SELECT seq, id, rn, prev_hash = prev_real, hash_ok, cols_ok FROM t
WHERE seq <> %(after)s + rn OR NOT cols_ok OR prev_hash <> prev_real OR NOT hash_ok
ORDER BY seq
LIMIT 1
"""


@dataclass
class Problem:
    """The first wrong entry of the walk: its number (or the missing number) and what is wrong."""

    seq: int
    message: str


class NotJson(Exception):
    """A stored canonical text PostgreSQL cannot parse: the Python walk must name the entry."""


def _segment(after: int, upto: int, start_prev: str, own_connection: bool) -> Problem | None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # The window needs the rows in sequence order: the unique index on seq gives them so.
            cursor.execute(_FIRST_BAD, {"after": after, "upto": upto, "start_prev": start_prev})
            row = cursor.fetchone()
    except Exception as exc:  # invalid JSON text (DataError) and the like
        raise NotJson(str(exc)) from exc
    finally:
        if own_connection:
            connections.close_all()
    if row is None:
        return None
    seq, pk, rn, linked, hash_ok, cols_ok = row
    expected = after + rn
    if seq != expected:
        return Problem(expected, f"entry #{expected} is missing (deleted): the next entry is #{seq} (id {pk}).")
    if not cols_ok:
        return Problem(seq, f"entry #{seq} (id {pk}) was changed: its columns differ from its hashed content.")
    kind = "inserted or changed" if not linked else "changed"
    return Problem(seq, f"entry #{seq} (id {pk}) was {kind}: its hash does not chain.")


def walk(genesis: str, workers: int = 2) -> tuple[int, str, Problem | None]:
    """Check entries 1..max(seq). Returns (last good sequence number, its hash, first problem)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(seq) FROM audit_auditentry")
        top = cursor.fetchone()[0] or 0
    if top == 0:
        return 0, genesis, None
    parts = workers if top >= PARALLEL_FROM and workers > 1 else 1
    bounds = [top * i // parts for i in range(parts + 1)]
    inner = bounds[1:-1]
    stored = _hashes(inner + [top])
    problems: list[Problem] = []
    for b in inner:
        if b not in stored:
            problems.append(Problem(b, f"entry #{b} is missing (deleted): the chain has a gap there."))
    starts = [genesis] + [stored.get(b, "") for b in inner]
    jobs = list(zip(bounds[:-1], bounds[1:], starts, strict=True))
    if parts == 1 or not IN_THREADS:
        found = [_segment(a, b, prev, own_connection=False) for a, b, prev in jobs]
    else:
        with ThreadPoolExecutor(max_workers=parts) as pool:
            found = list(pool.map(lambda job: _segment(job[0], job[1], job[2], own_connection=True), jobs))
    problems += [p for p in found if p is not None]
    if not problems:
        return top, stored[top], None
    first = min(problems, key=lambda p: p.seq)
    last_good = first.seq - 1
    return last_good, _hashes([last_good]).get(last_good, genesis), first


def _hashes(seqs: list[int]) -> dict[int, str]:
    if not seqs:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM audit_auditentry WHERE seq = ANY(%s)", [list(seqs)])
        return {seq: value for seq, value in cursor.fetchall()}


def hashes_at(seqs: set[int], upto: int) -> dict[int, str]:
    """The stored hashes at the given numbers up to ``upto`` (checked by the walk)."""
    return _hashes(sorted(s for s in seqs if s <= upto))

