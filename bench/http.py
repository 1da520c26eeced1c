"""Real HTTP load: a deployment on loopback driven by Locust, by role.

`manage.py bench http --users N --duration S --workers W [--server granian|uvicorn|daphne|granian-wsgi]
[--storage file|s3] [--stop-store-at S] --json`

- Creates a fresh PostgreSQL database (``<admin db name>_http_<random>`` on the server of
  DATABASE_URL, or --pg-url), migrates it, seeds a synthetic county sized for N browsers
  (bench.http_seed), and drops it at the end.
- Starts a private redis-server on a free port, W server processes behind one port (settings
  bench.settings_http: production settings plus an empty view) and the deadline scanner. With
  ``--server granian-wsgi`` the pages go through granian's WSGI interface (planhub.wsgi) and the
  websockets through a second granian process (ASGI) on another port.
- Drives it with Locust (bench.http_load, a process of its own): members open the inbox and tasks,
  start and submit with a small evidence file; offices review, close and return; principals open
  the school dashboard and plan; bureau users open the county dashboard and its export; every
  browser holds a websocket, and with ``--sockets per-page`` (the default) closes it and opens a
  new one on every page it loads, as the site's pages do; think time 1–3 s. Then the empty view,
  closed loop.
- Evidence: in a folder (``MEDIA_ROOT`` in the run's temporary folder), or with ``--storage s3``
  in an S3-compatible store on loopback: moto's server mode on a free port with a fresh bucket,
  the servers' ``STORAGE_URL`` pointing at it. After an S3 run every evidence row must have its
  object, with the bytes its row's SHA-256 names (``evidence``).
- Faults: ``--kill-worker-at S`` SIGKILLs one server process S seconds into the mix (the server's
  supervisor, or this command for a single process, starts it again); ``--stop-redis S`` stops
  Redis S seconds in and starts it again ten seconds later; ``--stop-store-at S`` (S3 only) makes
  the object store unreachable S seconds in for ten seconds (the servers reach moto through a
  TCP gate of this command, which refuses connections and cuts open ones meanwhile; moto keeps
  its objects). An upload then must show the store's message and write nothing. After the run
  every transition a browser saw succeed must be in the audit history with its notification
  stored, and every task touched must be in the state its history ends in.
- Stops everything it started, also on Ctrl+C and on errors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import django
from django.conf import settings
from django.core.management.base import CommandError

BASE_DIR = Path(settings.BASE_DIR)
# granian-wsgi: pages through granian's WSGI interface (planhub.wsgi), /ws/ through a second granian
# process (ASGI, one worker) on another port; in production one proxy in front routes /ws/ to it.
SERVERS = ("uvicorn", "granian", "daphne", "granian-wsgi")
# collectstatic's output, kept between runs of this checkout.
STATIC_CACHE = (
    Path(tempfile.gettempdir()) / f"planhub-bench-http-static-{hashlib.sha1(str(BASE_DIR).encode()).hexdigest()[:8]}"
)
ACTIONS = {
    "start": "tasks.task.started",
    "submit": "tasks.task.submitted",
    "close": "tasks.task.closed",
    "return": "tasks.task.returned",
}
NOTIFIED = {"submit": "task_submitted", "close": "task_closed", "return": "task_returned"}
REDIS_OUTAGE_SECONDS = 10
STORE_OUTAGE_SECONDS = 10
STORE_BUCKET = "bench-evidence"
STORE_KEYS = ("bench", "bench-secret")  # moto accepts any credentials
TEMPLATE_PREFIX = "planhub_bench_http_tpl_"


def add_arguments(parser) -> None:
    parser.add_argument("--users", type=int, default=200, help="Simulated browsers.")
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of the mixed load.")
    parser.add_argument("--workers", type=int, default=2, help="Server processes behind the one port.")
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default="granian-wsgi",
        help="The server (granian-wsgi, production's: pages by WSGI, /ws/ by ASGI; granian: both by ASGI).",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=3,
        help="Threads per WSGI process (granian-wsgi): more contend for the GIL (BENCHMARKS.md, HTTP under load).",
    )
    parser.add_argument(
        "--sockets",
        choices=("per-page", "held"),
        default="per-page",
        help="per-page: each page load closes the browser's websocket and opens another, as a page does; "
        "held: one socket per browser for the whole run (every run recorded before this option).",
    )
    parser.add_argument("--empty-seconds", type=float, default=10.0, help="Seconds of the empty-view phase.")
    parser.add_argument("--empty-users", type=int, default=32, help="Closed-loop clients of the empty view.")
    parser.add_argument("--kill-worker-at", type=float, metavar="S", help="Kill one server process S s into the mix.")
    parser.add_argument("--stop-redis", type=float, metavar="S", help="Stop Redis S s into the mix, for 10 s.")
    parser.add_argument(
        "--storage",
        choices=("file", "s3"),
        default="file",
        help="Evidence in a folder, or in an S3-compatible store on loopback (moto's server mode).",
    )
    parser.add_argument(
        "--stop-store-at", type=float, metavar="S", help="Make the object store unreachable S s into the mix, for 10 s."
    )
    parser.add_argument(
        "--db-pool", type=int, default=6, help="DB_POOL_MAX_SIZE of the servers (psycopg pool per process; 0: none)."
    )
    parser.add_argument("--pg-url", help="PostgreSQL server for the run's database (default: DATABASE_URL's server).")
    parser.add_argument("--log-dir", help="Keep the servers' and the load's output in this folder.")


def _threads(options: dict[str, Any]) -> int:
    threads = options.get("threads")
    return 3 if threads is None else int(threads)


def run(options: dict[str, Any]) -> dict[str, Any]:
    if options["users"] < 1 or options["duration"] <= 0 or options["workers"] < 1:
        raise CommandError("--users, --duration and --workers must be positive.")
    threads, pool = _threads(options), options.get("db_pool") or 0
    if options["server"] == "granian-wsgi" and (threads < 1 or 0 < pool < threads):
        raise CommandError("--threads must be at least 1 and at most --db-pool (one connection per request).")
    if options["server"] == "daphne" and options["workers"] != 1:
        raise CommandError("daphne serves one process per port: use --workers 1 with --server daphne.")
    if importlib.util.find_spec(options["server"].split("-")[0]) is None:
        raise CommandError(f"{options['server']} is not installed.")
    if options.get("stop_store_at") is not None and options.get("storage") != "s3":
        raise CommandError("--stop-store-at needs --storage s3.")
    if options.get("storage") == "s3" and not moto_server_path().exists():
        raise CommandError(f"moto's server is not installed ({moto_server_path()}): pip install 'moto[server]'.")
    run_ = Deployment(options)
    # SIGTERM stops everything as Ctrl+C does (only the main thread may set a handler).
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if in_main else None
    if in_main:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run_.run()
    finally:
        run_.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{what} exited with {process.returncode}.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"{what} did not listen on port {port} within {timeout:.0f} s.")


def moto_server_path() -> Path:
    return Path(sys.executable).with_name("moto_server")


class StoreGate:
    """A TCP relay on loopback between the servers and the object store, which can refuse every
    connection for a while: the store unreachable (``close``: the port refuses new connections and
    open ones are cut) without losing what it holds (moto keeps its objects in memory only)."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.accepted = 0

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            try:  # stops listening at once (close alone waits for the accepting thread's poll)
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self.lock:
            connections, self.connections = self.connections, set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while self.listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            self.accepted += 1
            with self.lock:
                self.connections |= {client, upstream}
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        source.settimeout(None)
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for conn in (source, target):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.connections -= {source, target}


def pg_server_url(explicit: str | None) -> str:
    """``postgres://user@host:port`` of the server to create the run's database on."""
    url = explicit or os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise CommandError("bench http needs PostgreSQL: set DATABASE_URL or --pg-url to a postgres:// URL.")
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


class Deployment:
    def __init__(self, options: dict[str, Any]):
        self.options = options
        self.tmp = Path(tempfile.mkdtemp(prefix="planhub-bench-http-"))
        self.log_dir = Path(options["log_dir"]) if options.get("log_dir") else self.tmp
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.server_url = pg_server_url(options.get("pg_url"))
        admin_db = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") or "planhub"
        self.db_name = f"{admin_db[:40]}_http_{secrets.token_hex(3)}"
        self.db_created = False
        self.port = free_port()
        self.wsgi = options["server"] == "granian-wsgi"
        self.ws_port = free_port() if self.wsgi else self.port
        self.redis_port = free_port()
        self.s3 = options.get("storage") == "s3"
        self.store_port = free_port() if self.s3 else 0
        self.gate: StoreGate | None = None
        self.store_outage: list[float | None] = []
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: list[Any] = []
        self.rss_max = 0.0
        self.events: list[str] = []
        self.sampling = threading.Event()
        self.secret = secrets.token_urlsafe(50)
        self.setup_seconds: dict[str, float] = {}
        self.outage: list[float | None] = []
        # CPU seconds used, by the server processes and by the load generator (last sample per pid):
        # on a shared machine, what the run got of the cores.
        self.cpu: dict[str, dict[int, float]] = {"server": {}, "ws": {}, "load": {}, "store": {}}
        # The servers' CPU seconds when the mix ended (the rest went to the empty view).
        self.cpu_at_mix_end: float | None = None
        self.cpu_at_load_start = 0.0  # the servers' start (imports, first requests' caches) before it
        self.mix_marker: Path | None = None

    # --- processes ------------------------------------------------------------------------------

    def env(self, database: str | None = None) -> dict[str, str]:
        audit_key = self.tmp / "audit.key"
        if not audit_key.exists():
            audit_key.write_text(secrets.token_hex(32))
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings_http",
            "DEBUG": "0",
            "HTTPS": "0",
            "TWO_FACTOR_REQUIRED": "0",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": f"{self.server_url}/{database or self.db_name}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "CHANNEL_LAYER_PREFIX": f"bench-http-{self.db_name}",
            "AUDIT_KEY_FILE": str(audit_key),
            "MEDIA_ROOT": str(self.tmp / "media"),
            "STATIC_ROOT": str(STATIC_CACHE),
            "LOG_LEVEL": "WARNING",
            "DB_POOL_MAX_SIZE": str(self.options.get("db_pool") or 0),
            "PYTHONUNBUFFERED": "1",
            **({"STORAGE_URL": self.storage_url()} if self.s3 else {}),
            # Pages and sockets on two ports here (one origin behind a proxy in production).
            **({"CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{self.port}"} if self.wsgi else {}),
        }

    def storage_url(self) -> str:
        """What the servers use: the gate's port when a store outage is planned, moto's otherwise."""
        port = self.gate.port if self.gate is not None else self.store_port
        access, secret = STORE_KEYS
        return f"s3://{access}:{secret}@127.0.0.1:{port}/{STORE_BUCKET}?secure=0&region=us-east-1"

    def s3_client(self):
        import boto3
        from botocore.config import Config

        access, secret = STORE_KEYS
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.store_port}",
            aws_access_key_id=access,
            aws_secret_access_key=secret,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def spawn(self, name: str, args: list[str], **kwargs: Any) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop())
        self.logs.append(log)
        process = subprocess.Popen(
            args, cwd=BASE_DIR, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        )
        self.processes[name] = process
        return process

    def call(self, name: str, args: list[str], timeout: float = 600, database: str | None = None) -> None:
        started = time.monotonic()
        try:
            self._call(name, args, timeout, database)
        finally:
            self.setup_seconds[name] = round(time.monotonic() - started, 1)

    def _call(self, name: str, args: list[str], timeout: float, database: str | None) -> None:
        with open(self.log_dir / f"{name}.log", "ab") as log:
            done = subprocess.run(
                args,
                cwd=BASE_DIR,
                env=self.env(database),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode:
            raise CommandError(f"{name} failed ({done.returncode}); see {self.log_dir / (name + '.log')}.")

    def server_args(self) -> list[str]:
        app, port, workers = "planhub.asgi:application", str(self.port), str(self.options["workers"])
        server = self.options["server"]
        if server == "uvicorn":
            return [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--workers",
                workers,
                "--log-level",
                "warning",
                "--no-access-log",
                "--lifespan",
                "off",
            ]
        if server == "granian-wsgi":
            # Threads per process; the pool (--db-pool) needs at least as many connections, Django
            # holds one per request in flight.
            threads = str(_threads(self.options))
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--workers",
                workers,
                "--blocking-threads",
                threads,
                "--respawn-failed-workers",
                "--log-level",
                "warning",
                "planhub.wsgi:application",
            ]
        if server == "granian":
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asginl",
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--workers",
                workers,
                "--respawn-failed-workers",
                "--log-level",
                "warning",
                app,
            ]
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", port, "-v", "0", app]

    def start_server(self) -> None:
        process = self.spawn("server", self.server_args())
        wait_port(self.port, process, f"the {self.options['server']} server")
        ws = self.processes.get("ws")
        if self.wsgi and (ws is None or ws.poll() is not None):
            args = [sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1"]
            args += ["--port", str(self.ws_port), "--workers", "1", "--respawn-failed-workers"]
            process = self.spawn("ws", [*args, "--log-level", "warning", "planhub.asgi:application"])
            wait_port(self.ws_port, process, "the granian ASGI server of /ws/")

    def start_redis(self) -> None:
        process = self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        wait_port(self.redis_port, process, "redis-server", timeout=10)

    def start_store(self) -> None:
        """moto's S3 server on a free loopback port, an empty bucket, and the gate when needed."""
        process = self.spawn("store", [str(moto_server_path()), "-H", "127.0.0.1", "-p", str(self.store_port)])
        wait_port(self.store_port, process, "moto_server", timeout=60)
        self.s3_client().create_bucket(Bucket=STORE_BUCKET)
        if self.options.get("stop_store_at") is not None:
            self.gate = StoreGate(self.store_port)
            self.gate.open()

    def server_processes(self, name: str = "server") -> list[Any]:
        import psutil

        master = self.processes.get(name)
        if master is None or master.poll() is not None:
            return []
        try:
            root = psutil.Process(master.pid)
            children = root.children(recursive=True)
        except psutil.Error:
            return []
        # With a supervisor, the workers are its children; a single process serves itself.
        workers = []
        for child in children:
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(child.cmdline()):
                    workers.append(child)
            except psutil.Error:  # just died (the fault we inject)
                continue
        return workers or [root]

    def sample_servers(self) -> None:
        import psutil

        for name in ("server", "ws"):
            for proc in self.server_processes(name):
                try:
                    self.rss_max = max(self.rss_max, proc.memory_info().rss / 2**20)
                    times = proc.cpu_times()
                    self.cpu[name][proc.pid] = times.user + times.system
                except psutil.Error:
                    pass

    def sample_rss(self) -> None:
        import psutil

        while not self.sampling.wait(0.5):
            self.sample_servers()
            if self.cpu_at_mix_end is None and self.mix_marker is not None and self.mix_marker.exists():
                self.cpu_at_mix_end = self.server_cpu()
            for name in ("load", "store"):
                process = self.processes.get(name)
                if process is not None and process.poll() is None:
                    try:
                        times = psutil.Process(process.pid).cpu_times()
                        self.cpu[name][process.pid] = times.user + times.system
                    except psutil.Error:
                        pass

    def server_cpu(self) -> float:
        return sum(self.cpu["server"].values()) + sum(self.cpu["ws"].values())

    def stop(self) -> None:
        self.sampling.set()
        if self.gate is not None:
            self.gate.close()
        for name in ("load", "scanner", "server", "ws", "store", "redis"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()
        if self.db_created:
            self.drop_database()
        if not self.options.get("log_dir"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # --- database -------------------------------------------------------------------------------

    def admin(self):
        import psycopg

        return psycopg.connect(f"{self.server_url}/postgres", autocommit=True, connect_timeout=5)

    def create_database(self) -> None:
        """The run's database, a copy of a migrated template (built by migrating, once per set of
        migrations: a fresh migrate costs the tiny run half a minute on a busy machine)."""
        template = self.template_name()
        try:
            with self.admin() as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        except Exception as exc:
            raise CommandError(f"Cannot reach PostgreSQL at {self.server_url}: {exc}") from exc
        if not exists:
            self.build_template(template)
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}" TEMPLATE "{template}"')
        self.db_created = True

    def template_name(self) -> str:
        digest = hashlib.sha1(django.get_version().encode())
        for path in sorted(BASE_DIR.glob("*/migrations/*.py")):
            digest.update(str(path.relative_to(BASE_DIR)).encode() + path.read_bytes())
        return f"{TEMPLATE_PREFIX}{digest.hexdigest()[:12]}"

    def build_template(self, template: str) -> None:
        import psycopg

        building = f"{TEMPLATE_PREFIX}build_{secrets.token_hex(3)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{building}"')
        try:
            self.call("migrate", [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], database=building)
            with self.admin() as conn:
                # Templates of older migrations are of no use any more.
                for (old,) in conn.execute(
                    "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND NOT starts_with(datname, %s)",
                    [TEMPLATE_PREFIX, TEMPLATE_PREFIX + "build"],
                ).fetchall():
                    try:  # not while another run copies it
                        conn.execute(f'DROP DATABASE IF EXISTS "{old}"')
                    except psycopg.Error:
                        pass
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        finally:
            with self.admin() as conn:  # left over when another run renamed its template first
                conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')

    def drop_database(self) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self.db_created = False

    def collect_static(self) -> None:
        """collectstatic into a folder kept between runs, skipped while no static file changed
        (the manifest storage post-processes every file on each run)."""
        digest = hashlib.sha1(django.get_version().encode())
        for path in sorted(BASE_DIR.glob("*/static/**/*")) + sorted((BASE_DIR / "static").glob("**/*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        stamp = STATIC_CACHE / ".bench-http-stamp"
        if stamp.exists() and stamp.read_text() == digest.hexdigest():
            return
        STATIC_CACHE.mkdir(exist_ok=True)
        self.call("collectstatic", [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"])
        stamp.write_text(digest.hexdigest())

    # --- faults ---------------------------------------------------------------------------------

    def kill_worker(self, delay: float) -> None:
        time.sleep(delay)
        processes = self.server_processes()
        master = self.processes["server"]
        if not processes:
            return
        victim = processes[0]
        self.events.append(f"{time.time():.1f} SIGKILL server process {victim.pid}")
        victim.kill()
        if victim.pid == master.pid:  # a single process: nobody else starts it again
            master.wait()
            self.start_server()
            self.events.append(f"{time.time():.1f} server restarted by bench")
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.5)
            pids = {p.pid for p in self.server_processes()}
            if len(pids) >= self.options["workers"] and victim.pid not in pids:
                self.events.append(f"{time.time():.1f} the supervisor started a new process: {sorted(pids)}")
                return
        self.events.append(f"{time.time():.1f} no new server process within 30 s")

    def stop_redis(self, delay: float) -> None:
        time.sleep(delay)
        redis = self.processes["redis"]
        self.outage = [time.time(), None]
        self.events.append(f"{time.time():.1f} redis stopped")
        os.killpg(redis.pid, signal.SIGTERM)
        redis.wait()
        time.sleep(REDIS_OUTAGE_SECONDS)
        self.start_redis()
        self.outage[1] = time.time()
        self.events.append(f"{time.time():.1f} redis started again")

    def stop_store(self, delay: float) -> None:
        time.sleep(delay)
        assert self.gate is not None
        self.store_outage = [time.time(), None]
        self.gate.close()
        self.events.append(f"{time.time():.1f} object store unreachable (connections refused, open ones cut)")
        time.sleep(STORE_OUTAGE_SECONDS)
        self.gate.open()
        self.store_outage[1] = time.time()
        self.events.append(f"{time.time():.1f} object store reachable again")

    # --- the run --------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        opts = self.options
        py = sys.executable
        started = time.monotonic()
        load_before = round(os.getloadavg()[0], 2)
        self.create_database()
        self.setup_seconds["database"] = round(time.monotonic() - started, 1)
        self.start_redis()
        if self.s3:
            self.start_store()
        self.collect_static()
        seed_file = self.tmp / "browsers.json"
        self.call("seed", [py, "-m", "bench.http_seed", str(opts["users"]), str(seed_file)])
        seeded = json.loads(seed_file.read_text())
        self.start_server()
        self.spawn("scanner", [py, "manage.py", "scan_deadlines", "--loop", "30"])
        config = {
            "base_url": f"http://127.0.0.1:{self.port}",
            "ws_url": f"ws://127.0.0.1:{self.ws_port}/ws/notifications/",
            "browsers": seeded["browsers"],
            "duration": opts["duration"],
            "empty_users": opts["empty_users"],
            "empty_seconds": opts["empty_seconds"],
            "socket_per_page": opts.get("sockets", "per-page") == "per-page",
        }
        config_file, out_file = self.tmp / "load.json", self.tmp / "load-out.json"
        self.mix_marker = Path(f"{out_file}.mixed")
        config_file.write_text(json.dumps(config))
        self.sample_servers()
        self.cpu_at_load_start = self.server_cpu()
        threading.Thread(target=self.sample_rss, daemon=True).start()
        load = self.spawn("load", [py, "-m", "bench.http_load", str(config_file), str(out_file)])
        faults = []
        if opts.get("kill_worker_at") is not None:
            faults.append(threading.Thread(target=self.kill_worker, args=(opts["kill_worker_at"],), daemon=True))
        if opts.get("stop_redis") is not None:
            faults.append(threading.Thread(target=self.stop_redis, args=(opts["stop_redis"],), daemon=True))
        if opts.get("stop_store_at") is not None:
            faults.append(threading.Thread(target=self.stop_store, args=(opts["stop_store_at"],), daemon=True))
        for fault in faults:
            fault.start()
        try:
            load.wait(timeout=opts["duration"] + opts["empty_seconds"] + 120)
        except subprocess.TimeoutExpired as exc:
            raise CommandError(f"The load did not finish; see {self.log_dir / 'load.log'}.") from exc
        if load.returncode:
            raise CommandError(f"The load failed ({load.returncode}); see {self.log_dir / 'load.log'}.")
        for fault in faults:
            fault.join(timeout=60)
        self.sampling.set()
        out = json.loads(out_file.read_text())
        mixed, empty = out["mixed"], out["empty"]
        result = {
            "db": "postgresql",
            "server": opts["server"],
            "workers": opts["workers"],
            "db_pool": opts.get("db_pool") or 0,
            **({"threads": _threads(opts)} if self.wsgi else {}),
            "storage": "s3 (moto_server on loopback)" if self.s3 else "folder",
            "users": opts["users"],
            "duration_s": mixed["seconds"],
            "requests": mixed["requests"],
            "errors": mixed["errors"],
            "rps": mixed["rps"],
            "empty_view_rps": empty["rps"],
            "rps_share_of_empty": round(mixed["rps"] / empty["rps"], 3) if empty["rps"] else None,
            "p50_ms": mixed["p50_ms"],
            "p95_ms": mixed["p95_ms"],
            "p99_ms": mixed["p99_ms"],
            "per_endpoint": mixed["per_endpoint"],
            "worker_rss_mb_max": round(self.rss_max, 1),
            "websockets": out["websockets"],
            "empty_view": {k: empty[k] for k in ("requests", "errors", "p50_ms", "p95_ms", "p99_ms")},
            "schools": seeded["schools"],
            "setup_s": self.setup_seconds,
            "cpu_s": {
                "servers": round(self.server_cpu(), 1),
                **self.cpu_split(mixed["requests"], empty["requests"]),
                **({"of_them_ws_server": round(sum(self.cpu["ws"].values()), 1)} if self.wsgi else {}),
                "load_generator": round(sum(self.cpu["load"].values()), 1),
                **({"object_store": round(sum(self.cpu["store"].values()), 1)} if self.s3 else {}),
                "wall": round(mixed["seconds"] + empty["seconds"], 1),
                "cores": os.cpu_count(),
            },
            "load_1min_before": load_before,
            "load_1min": round(os.getloadavg()[0], 2),
        }
        if mixed["error_samples"]:
            result["error_samples"] = mixed["error_samples"]
        result["transitions"] = self.verify(out["transitions"])
        if self.s3:
            result["evidence"] = self.verify_store()
        if self.events:
            result["fault_events"] = self.events
        return result

    def cpu_split(self, pages: int, empties: int) -> dict[str, Any]:
        """The servers' CPU seconds of the mix and of the empty view (sampled every 0.5 s, so the
        split is within about half a second of CPU), and per request of each."""
        if self.cpu_at_mix_end is None:
            return {}
        mix = self.cpu_at_mix_end - self.cpu_at_load_start
        empty = self.server_cpu() - self.cpu_at_mix_end
        return {
            "servers_start": round(self.cpu_at_load_start, 1),
            "servers_mix": round(mix, 1),
            "servers_empty_view": round(empty, 1),
            "ms_per_mix_request": round(1000 * mix / pages, 1) if pages else None,
            "ms_per_empty_view": round(1000 * empty / empties, 2) if empties else None,
        }

    def verify(self, transitions: list[dict[str, Any]]) -> dict[str, Any]:
        """Compare what the browsers saw with the audit history and the stored notifications."""
        import psycopg

        outcomes = Counter(t["outcome"] for t in transitions)
        done = Counter((t["task"], ACTIONS[t["action"]], t["user"]) for t in transitions if t["outcome"] == "done")
        touched = sorted({t["task"] for t in transitions})
        with psycopg.connect(f"{self.server_url}/{self.db_name}", connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT a.target_id, a.action, u.username, count(*) FROM audit_auditentry a "
                "JOIN orgs_user u ON u.id = a.actor_id WHERE a.target_type = 'tasks.task' "
                "AND a.action = ANY(%s) GROUP BY 1, 2, 3",
                [list(ACTIONS.values())],
            ).fetchall()
            audited = {(r[0], r[1], r[2]): r[3] for r in rows}
            missing = sum(max(0, n - audited.get(key, 0)) for key, n in done.items())
            # The state each touched task's history ends in must be the task's state.
            last = dict(
                conn.execute(
                    "SELECT DISTINCT ON (target_id) target_id, to_state FROM audit_auditentry "
                    "WHERE target_type = 'tasks.task' AND target_id = ANY(%s) AND to_state <> '' "
                    "ORDER BY target_id, seq DESC NULLS LAST, id DESC",
                    [touched],
                ).fetchall()
            )
            status, assignee = {}, {}
            for task_id, task_status, username in conn.execute(
                "SELECT t.id, t.status, u.username FROM tasks_task t LEFT JOIN orgs_user u ON u.id = t.assignee_id "
                "WHERE t.id = ANY(%s)",
                [touched],
            ).fetchall():
                status[task_id], assignee[task_id] = task_status, username
            half_done = sorted(t for t in touched if t in last and last[t] != status.get(t))
            notes = conn.execute("SELECT url, kind, count(*) FROM notifications_notification GROUP BY 1, 2").fetchall()
        stored = Counter()
        for url, kind, n in notes:
            parts = url.strip("/").split("/")
            if len(parts) >= 2 and parts[0] == "tasks" and parts[1].isdigit():
                stored[(int(parts[1]), kind)] += n
        # A submission tells the plan's reviewers; a close or a return tells the assignee, unless the
        # assignee is the reviewer who acted (nobody is told of their own action).
        wanted = {
            (t["task"], NOTIFIED[t["action"]])
            for t in transitions
            if t["outcome"] == "done"
            and t["action"] in NOTIFIED
            and (t["action"] == "submit" or assignee.get(t["task"]) not in (None, t["user"]))
        }
        lost = sorted(key for key in wanted if stored[key] == 0)
        errored_but_done = sum(
            1
            for t in transitions
            if t["outcome"] == "error" and audited.get((t["task"], ACTIONS[t["action"]], t["user"]))
        )
        # A submission the store refused must have left nothing: no more history entries of that
        # (task, action, user) than the browsers saw done, errored (a POST whose redirect failed) or
        # left unfinished (still waiting for the answer when the mix ended).
        seen = Counter(
            (t["task"], ACTIONS[t["action"]], t["user"])
            for t in transitions
            if t["outcome"] in {"done", "error", "unfinished"}
        )
        store_refused = [t for t in transitions if t["outcome"] == "store_refused"]
        refused_keys = {(t["task"], ACTIONS[t["action"]], t["user"]) for t in store_refused}
        refused_in_history = sum(max(0, audited.get(key, 0) - seen[key]) for key in refused_keys)
        refused_sample = [
            {
                "task": key[0],
                "user": key[2],
                "audited": audited.get(key, 0),
                "seen": [
                    (t["outcome"], t["status"], round(t["at"], 1))
                    for t in transitions
                    if (t["task"], ACTIONS[t["action"]], t["user"]) == key
                ],
            }
            for key in sorted(refused_keys)
            if audited.get(key, 0) > seen[key]
        ][:5]
        during: dict[str, int] = {}
        if self.store_outage and self.store_outage[1]:
            start, end = self.store_outage
            inside = [t for t in transitions if start <= t["at"] <= end]
            during = {
                "posted_during_store_outage": len(inside),
                "submits_posted_during_store_outage": sum(1 for t in inside if t["action"] == "submit"),
                "submits_done_during_store_outage": sum(
                    1 for t in inside if t["action"] == "submit" and t["outcome"] == "done"
                ),
                "other_done_during_store_outage": sum(
                    1 for t in inside if t["action"] != "submit" and t["outcome"] == "done"
                ),
            }
        if self.outage and self.outage[1]:
            start, end = self.outage
            inside = [t for t in transitions if start <= t["at"] <= end]
            during |= {
                "posted_during_redis_outage": len(inside),
                "done_during_redis_outage": sum(1 for t in inside if t["outcome"] == "done"),
                "notifications_missing_during_redis_outage": sum(
                    1 for t in inside if (t["task"], NOTIFIED.get(t["action"])) in set(lost)
                ),
            }
        return {
            **during,
            "posted": len(transitions),
            "done": outcomes["done"],
            "refused": outcomes["refused"],
            **(
                {"store_refused": len(store_refused), "store_refused_but_in_history": refused_in_history}
                if self.s3
                else {}
            ),
            **({"store_refused_but_in_history_sample": refused_sample} if refused_sample else {}),
            "errored": outcomes["error"],
            "unfinished_at_the_end": outcomes["unfinished"],
            "errored_but_in_history": errored_but_done,
            "done_missing_from_history": missing,
            "tasks_not_in_their_history_state": len(half_done),
            "notifications_expected": len(wanted),
            "notifications_missing": len(lost),
            **({"notifications_missing_sample": lost[:10]} if lost else {}),
        }

    def verify_store(self) -> dict[str, Any]:
        """Every evidence row the run created has its object in the store, with the bytes its row's
        SHA-256 names; rows written while the store was unreachable are counted apart."""
        import psycopg

        with psycopg.connect(f"{self.server_url}/{self.db_name}", connect_timeout=5) as conn:
            rows = conn.execute(
                "SELECT id, file, sha256, extract(epoch FROM uploaded_at) FROM tasks_evidence ORDER BY id"
            ).fetchall()
        client = self.s3_client()
        missing, changed = [], []
        for pk, name, digest, _ in rows:
            try:
                body = client.get_object(Bucket=STORE_BUCKET, Key=name)["Body"].read()
            except client.exceptions.NoSuchKey:
                missing.append(pk)
                continue
            if digest and hashlib.sha256(body).hexdigest() != digest:
                changed.append(pk)
        objects = sum(
            page.get("KeyCount", 0) for page in client.get_paginator("list_objects_v2").paginate(Bucket=STORE_BUCKET)
        )
        result: dict[str, Any] = {
            "rows": len(rows),
            "objects_in_bucket": objects,
            "evidence_missing": len(missing),
            "evidence_changed": len(changed),
        }
        if missing or changed:
            result["missing_sample"], result["changed_sample"] = missing[:10], changed[:10]
        if self.store_outage and self.store_outage[1]:
            start, end = self.store_outage
            result["rows_uploaded_during_store_outage"] = sum(1 for *_, at in rows if start <= float(at) <= end)
        if self.gate is not None:
            result["gate_connections"] = self.gate.accepted
        return result
