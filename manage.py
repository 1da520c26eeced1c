#!/usr/bin/env python
import os
import sys

# Benchmarks and scale data run with bench.settings: the real settings plus the bench app and the
# workflow engine their baseline needs, which production does not install.
BENCH_COMMANDS = {"bench", "seed_scale"}


def main() -> None:
    default = "bench.settings" if sys.argv[1:2] and sys.argv[1] in BENCH_COMMANDS else "planhub.settings"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake (usually a missing environment variable) is not a crash.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
