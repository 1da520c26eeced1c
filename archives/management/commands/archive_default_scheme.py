"""`manage.py archive_default_scheme`: install the shipped archive scheme (seed 003) if it is
missing, e.g. after a database flush. Idempotent."""

from django.core.management.base import BaseCommand

from archives.services import default_scheme_install


class Command(BaseCommand):
    help = "Install the default archive scheme (学校档案建设基本要求) if it is missing."

    def handle(self, *args, **options):
        scheme = default_scheme_install(actor=None)
        self.stdout.write(f"{scheme.pk} {scheme.title}: {scheme.items.count()} items")
