from django.core.management.base import BaseCommand, CommandError

from bench.scale import SCALE_PASSWORD, build_scale
from core.errors import DomainError


class Command(BaseCommand):
    help = "Build a synthetic county with bulk inserts, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=500)
        parser.add_argument("--tasks-per-school", type=int, default=300)
        parser.add_argument("--prefix", default="scale", help="Code prefix of the new organisations and users.")

    def handle(self, *args, **options):
        if options["schools"] < 1 or options["tasks_per_school"] < 1:
            raise CommandError("--schools and --tasks-per-school must be at least 1.")
        try:
            result = build_scale(schools=options["schools"], tasks_per_school=options["tasks_per_school"],
                                 prefix=options["prefix"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Built {result.schools} schools, {result.tasks} tasks in {result.seconds:.1f} s "
            f"(bureau {result.bureau.code}; login {options['prefix']}_admin / {SCALE_PASSWORD})."
        )
