"""Serve the whole product from one command: granian (HTTP and websockets, ``--workers`` processes
behind one port) and, beside it, the deadline scanner. Used by `make run`; production runs the
pieces under a process manager. Why granian: BENCHMARKS.md, "HTTP under load"."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run granian and the deadline scanner together until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Server processes behind the one port (more than 1 needs REDIS_URL: sockets of one user "
            "may sit on different processes).",
        )
        parser.add_argument("--scan-interval", type=int, default=300, help="Seconds between deadline scans.")

    def handle(self, *args, **options):
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers 至少为 1。")
        if workers > 1 and not settings.REDIS_URL:
            raise CommandError("多个服务进程需要 Redis 传递实时通知：请设置 REDIS_URL，或使用 --workers 1。")
        children: list[subprocess.Popen] = []
        if "scan_deadlines" in get_commands():
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "scan_deadlines", "--loop", str(options["scan_interval"])]
                )
            )
        children.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    # ASGI without lifespan events (Django has no lifespan handler); HTTP and websockets.
                    "--interface",
                    "asginl",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--workers",
                    str(workers),
                    # A worker that dies is started again (bench http --kill-worker-at: 0.5 s).
                    "--respawn-failed-workers",
                    "planhub.asgi:application",
                ]
            )
        )
        self.stdout.write(f"Serving on http://{options['host']}:{options['port']}/  (Ctrl+C to stop)")

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
