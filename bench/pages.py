"""CPU per page of `bench http`'s mix, in one process: what each page costs the server.

    python manage.py bench pages --users 200 --repeat 30 --json

Seeds what `bench http` seeds for that many browsers (bench.http_seed: the synthetic county, one
stored session per browser) inside a transaction that is rolled back at the end, then renders each
page of the mix through Django's test client (the whole middleware stack, the session, the header's
我的待办 count) as the role that opens it in the mix, ``--repeat`` times. Reports per page: the
process CPU per render (median of the renders, ms; time.process_time, so waiting for PostgreSQL is
not counted), the database server's CPU for the same renders (``db_cpu_ms``: the connection's
PostgreSQL backend process, read from /proc when the server runs on this machine; absent otherwise),
wall time, queries and bytes.

`bench http` measures what users meet (many processes, the database, the load generator on the same
cores); this measures the pages alone, so a change to a page's code shows at once: at about 100
pages a second (200 browsers thinking 2 s on average) two cores hold only pages of about 10–15 ms of
CPU with the database beside them.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.test import Client

from bench.dashboard import _static_files_ready
from bench.harness import QueryCounter, RolledBack

TASK_LINK = re.compile(r'href="/tasks/(\d+)/"')


def add_arguments(parser: Any) -> None:
    parser.add_argument("--users", type=int, default=200, help="Browsers to seed for (as bench http).")
    parser.add_argument("--repeat", type=int, default=30, help="Renders per page.")
    parser.add_argument(
        "--profile",
        metavar="PAGE",
        help="Also profile the pages whose name contains PAGE (cProfile over the renders) and print the "
        "costliest functions to stderr.",
    )


def _client(browser: dict[str, Any]) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = browser["session"]
    return client


def _pages(seeded: dict[str, Any]) -> list[tuple[str, Client, str]]:
    first: dict[str, dict[str, Any]] = {}
    for browser in seeded["browsers"]:
        first.setdefault(browser["role"], browser)
    member, office, principal = _client(first["member"]), _client(first["office"]), _client(first["principal"])
    inbox = member.get("/tasks/inbox/").content.decode()
    links = TASK_LINK.findall(inbox)
    if not links:
        raise RuntimeError("the member's inbox lists no task: the seed changed")
    plan = first["principal"]["plan"]
    pages = [
        ("inbox (member)", member, "/tasks/inbox/"),
        ("task (member)", member, f"/tasks/{links[0]}/"),
        ("notifications (member)", member, "/notifications/"),
        ("inbox (office)", office, "/tasks/inbox/"),
        ("home (principal)", principal, "/"),
        ("plan (principal)", principal, f"/plans/{plan}/"),
        ("school dashboard (principal)", principal, f"/dashboards/plans/{plan}/"),
    ]
    if "bureau" in first:
        pages.append(("county dashboard (bureau)", _client(first["bureau"]), "/dashboards/county/"))
    return pages


def _backend_stat() -> Path | None:
    """/proc/<pid>/stat of this connection's PostgreSQL backend, when it runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    path = Path(f"/proc/{pid}/stat")
    try:
        fields = path.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # A process of that pid here that is not a PostgreSQL backend: the server is elsewhere.
    return path if fields and "postgres" in Path(f"/proc/{pid}/comm").read_text() else None


def _cpu_seconds(stat: Path) -> float:
    # utime and stime, fields 14 and 15 of proc(5), counted after the command name's ")".
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(client: Client, url: str, repeat: int) -> dict[str, Any]:
    response = client.get(url)  # warm: templates, compiled scope queries
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        client.get(url)
    cpu, wall = [], []
    stat = _backend_stat()
    db_before = _cpu_seconds(stat) if stat else 0.0
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        client.get(url)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    measured = {
        "cpu_ms": round(statistics.median(cpu), 1),
        "wall_ms": round(statistics.median(wall), 1),
        "queries": counter.n,
        "bytes": len(response.content),
    }
    if stat:
        # The kernel counts in clock ticks (10 ms): a mean over the renders, not a median.
        measured["db_cpu_ms"] = round((_cpu_seconds(stat) - db_before) * 1000 / repeat, 1)
    return measured


def _profile(name: str, client: Client, url: str, repeat: int) -> None:
    import cProfile
    import pstats
    import sys

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(url)
    profiler.disable()
    print(f"== {name}: {url}, {repeat} renders ==", file=sys.stderr)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def run(options: dict[str, Any]) -> dict[str, Any]:
    from bench.http_seed import seed

    if options["repeat"] < 1 or options["users"] < 3:
        raise ValueError("--repeat ≥ 1 and --users ≥ 3")
    result: dict[str, Any] = {"db": connection.vendor, "users": options["users"], "repeat": options["repeat"]}
    try:
        with _static_files_ready(), transaction.atomic():
            seeded = seed(options["users"])
            result["schools"] = seeded["schools"]
            pages = _pages(seeded)
            result["pages"] = {name: _measure(client, url, options["repeat"]) for name, client, url in pages}
            for name, client, url in pages:
                if options.get("profile") and options["profile"] in name:
                    _profile(name, client, url, options["repeat"])
            raise RolledBack
    except RolledBack:
        pass
    cpu = [page["cpu_ms"] for page in result["pages"].values()]
    result["cpu_ms_mean_of_pages"] = round(sum(cpu) / len(cpu), 1)
    db = [page["db_cpu_ms"] for page in result["pages"].values() if "db_cpu_ms" in page]
    if db:
        result["db_cpu_ms_mean_of_pages"] = round(sum(db) / len(db), 1)
    return result
