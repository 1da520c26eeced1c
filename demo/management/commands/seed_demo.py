from django.core.management.base import BaseCommand

from demo.data import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Create the demo county (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the login table.")

    def handle(self, *args, **options):
        created = seed_demo()
        self.stdout.write(f"Demo data ready ({created['plans']} new plans).")
        if not options["quiet_logins"]:
            self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
            for username, role, org in demo_logins():
                self.stdout.write(f"  {username:<16} {role:<24} {org}")
