"""`manage.py bench <target> ...`: benchmarks that print figures (JSON with --json).

Each target is a module of the bench package with ``add_arguments(parser)`` and
``run(options) -> dict``. Results and the exact commands are recorded in BENCHMARKS.md.
"""

from __future__ import annotations

import importlib
import json

from django.core.management.base import BaseCommand

TARGETS = {
    "transitions": "bench.transitions",
    "notify": "bench.notify",
    "dashboard": "bench.dashboard",
    "excel": "bench.excel",
    "history": "bench.history",
    "people": "bench.people",
    "acceptance": "bench.acceptance",
    "archive": "bench.archive",
    "deadlines": "bench.deadlines",
    "http": "bench.http",
    "pages": "bench.pages",
}


def _load(name: str):
    try:
        return importlib.import_module(TARGETS[name])
    except ModuleNotFoundError:
        return None


class Command(BaseCommand):
    help = "Run a benchmark: " + ", ".join(TARGETS)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="target", required=True)
        for name in TARGETS:
            module = _load(name)
            if module is None:
                continue
            target_parser = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else name)
            target_parser.add_argument("--json", action="store_true", help="Print one JSON object.")
            module.add_arguments(target_parser)

    def handle(self, *args, **options):
        module = _load(options["target"])
        result = module.run(options)
        if options.get("json"):
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key:>20}: {value}")
