"""Serve the whole product from one command: the ASGI server (HTTP and websockets) and, beside it,
the deadline scanner. Used by `make run`; production runs the pieces under a process manager."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management import get_commands
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run daphne and the deadline scanner together until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--scan-interval", type=int, default=300, help="Seconds between deadline scans.")

    def handle(self, *args, **options):
        children: list[subprocess.Popen] = []
        if "scan_deadlines" in get_commands():
            children.append(
                subprocess.Popen([sys.executable, "manage.py", "scan_deadlines", "--loop", str(options["scan_interval"])])
            )
        children.append(
            subprocess.Popen(
                [sys.executable, "-m", "daphne", "-b", options["host"], "-p", str(options["port"]), "planhub.asgi:application"]
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
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
