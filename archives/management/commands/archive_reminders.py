"""`manage.py archive_reminders`: remind offices of archive gaps two weeks before the inspection
(run daily, e.g. beside `close_notices`)."""

from django.core.management.base import BaseCommand

from archives.reminders import archive_gaps_remind


class Command(BaseCommand):
    help = "Remind the office of archive items still missing two weeks before the inspection date."

    def handle(self, *args, **options):
        self.stdout.write(f"reminded {archive_gaps_remind()} plan(s)")
