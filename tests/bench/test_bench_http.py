"""`manage.py bench http` end to end at a tiny size: a real deployment on loopback (a fresh
PostgreSQL database, a private redis-server, one granian process, the deadline scanner, and the
evidence in moto's S3 server when it is installed) under Locust. Checks the agreed JSON shape, that
requests were made and none failed, that every transition the browsers saw succeed is in the audit
history, and that every evidence row has its object in the store."""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest

from bench import http

KEYS = {
    "db",
    "workers",
    "users",
    "requests",
    "errors",
    "rps",
    "empty_view_rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "per_endpoint",
    "worker_rss_mb_max",
}


def _postgres_reachable() -> str | None:
    import psycopg

    try:
        url = http.pg_server_url(None)
    except Exception as exc:  # DATABASE_URL names another engine
        return str(exc)
    try:
        psycopg.connect(f"{url}/postgres", connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL at {urlsplit(url).hostname} is not reachable: {exc}"
    return None


def test_tiny_run_prints_the_agreed_shape_without_errors(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: bench http starts a private one")
    if os.environ.get("DATABASE_URL", "") and not os.environ["DATABASE_URL"].startswith("postgres"):
        pytest.skip("bench http needs PostgreSQL")
    problem = _postgres_reachable()
    if problem:
        pytest.skip(problem)
    s3 = http.moto_server_path().exists()
    result = http.run(
        {
            "users": 5,
            "duration": 10.0,
            "workers": 1,
            "server": "granian",
            "empty_seconds": 3.0,
            "empty_users": 4,
            "kill_worker_at": None,
            "stop_redis": None,
            "db_pool": 6,
            "pg_url": None,
            "log_dir": str(tmp_path),
            "storage": "s3" if s3 else "file",
        }
    )
    assert KEYS <= set(result), KEYS - set(result)
    assert result["db"] == "postgresql" and result["users"] == 5 and result["workers"] == 1
    assert result["requests"] > 0, result
    assert result["errors"] == 0, result.get("error_samples")
    assert result["empty_view_rps"] > 0
    assert {"inbox", "task"} <= set(result["per_endpoint"]), result["per_endpoint"].keys()
    assert result["websockets"]["connects"] >= 5
    # Each page load closed its socket and opened the next page's (--sockets per-page, the default).
    assert result["websockets"]["page_sockets"] > 0, result["websockets"]
    # Each page's socket sent what the page was rendered with, and the server answered it.
    assert result["websockets"]["caught_up"] > 0, result["websockets"]
    assert 0 < result["worker_rss_mb_max"] < 1000
    checks = result["transitions"]
    assert checks["done_missing_from_history"] == 0, checks
    assert checks["tasks_not_in_their_history_state"] == 0, checks
    assert checks["notifications_missing"] == 0, checks
    if s3:
        evidence = result["evidence"]
        assert result["storage"].startswith("s3"), result["storage"]
        assert evidence["evidence_missing"] == 0 and evidence["evidence_changed"] == 0, evidence
        assert evidence["objects_in_bucket"] >= evidence["rows"], evidence
        assert checks["store_refused"] == 0, checks  # the store was up all along


def _echo_server():
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data)

    threading.Thread(target=serve, daemon=True).start()
    return server


def _roundtrip(port: int, payload: bytes) -> bytes:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(payload)
        return conn.recv(1024)


def test_store_gate_relays_refuses_while_closed_and_cuts_open_connections():
    import socket

    upstream = _echo_server()
    gate = http.StoreGate(upstream.getsockname()[1])
    gate.open()
    try:
        assert _roundtrip(gate.port, b"before") == b"before"
        held = socket.create_connection(("127.0.0.1", gate.port), timeout=2)
        held.sendall(b"x")
        assert held.recv(16) == b"x"
        gate.close()
        # The open connection is cut (end of stream or reset), new ones are refused.
        try:
            assert held.recv(16) == b""
        except ConnectionResetError:
            pass
        held.close()
        with pytest.raises(ConnectionRefusedError):
            _roundtrip(gate.port, b"during")
        gate.open()
        assert _roundtrip(gate.port, b"after") == b"after"
        assert gate.accepted == 3
    finally:
        gate.close()
        upstream.close()


def test_stop_store_needs_the_object_store():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--storage s3"):
        http.run(
            {"users": 1, "duration": 1.0, "workers": 1, "server": "granian", "stop_store_at": 5, "storage": "file"}
        )


@pytest.mark.parametrize(("threads", "pool"), [(4, 3), (0, 6)])
def test_wsgi_threads_need_a_connection_each(threads, pool):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--threads"):
        http.run(
            {"users": 1, "duration": 1.0, "workers": 1, "server": "granian-wsgi", "threads": threads, "db_pool": pool}
        )
