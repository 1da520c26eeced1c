"""`manage.py scan_deadlines [--loop SECONDS]`: send due-soon, overdue and escalation reminders,
for tasks and for every deadline source an app registers (tasks.deadlines.deadline_sources, e.g.
acceptance's rectification items and inspection dates).

Idempotent (see tasks.deadlines): run it from cron, from `make run` (``--loop``), or both.
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from audit.chain import checkpoint_make
from tasks.deadlines import scan_deadlines

logger = logging.getLogger("notifications.deadlines")


class Command(BaseCommand):
    help = "Remind assignees of tasks due soon or overdue, and escalate overdue tasks (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, metavar="SECONDS", help="Keep scanning, this many seconds apart.")
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="Scan as of this date (YYYY-MM-DD).")
        parser.add_argument("--iterations", type=int, default=0, help="With --loop: stop after this many scans.")

    def handle(self, *args, **options):
        interval = options["loop"]
        if interval is not None and interval < 1:
            raise CommandError("--loop needs a positive number of seconds.")
        if interval is None:
            self._scan(options["today"])
            return
        stopping = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stopping.set())
        self.stdout.write(f"Scanning deadlines every {interval} s (Ctrl+C to stop).")
        runs = 0
        while not stopping.is_set():
            # Long-lived process: drop broken or expired connections between scans (never inside an
            # outer transaction, e.g. a test's, which closing would break).
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                self._scan(options["today"])
            except Exception:  # a database hiccup must not end the loop: log, wait, retry
                logger.exception("deadline scan failed; retrying in %s s", interval)
            try:  # the same loop signs the audit chain's head (audit.chain)
                checkpoint_make()
            except Exception:
                logger.exception("audit checkpoint failed; retrying in %s s", interval)
            runs += 1
            if options["iterations"] and runs >= options["iterations"]:
                break
            stopping.wait(interval)

    def _scan(self, today: datetime.date | None) -> None:
        result = scan_deadlines(today=today)
        detail = ", ".join(f"{kind} {n}" for kind, n in sorted(result.sent.items())) or "nothing new"
        self.stdout.write(
            f"{result.today}: {result.tasks_checked} tasks checked, {result.total} reminders sent ({detail})."
        )
        for path in result.failed:
            self.stderr.write(f"{result.today}: deadline source {path} failed (see the log); retried next scan.")
