"""`manage.py close_notices [--today YYYY-MM-DD]`: accept every plan whose public notice (公示) has
ended, and remind teams and schools of inspections due within two days. Idempotent: run it daily
from cron. Each plan goes through acceptance_finalise (the system
as actor); a plan the bureau already accepted by hand is skipped."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from acceptance.models import Application
from acceptance.services import acceptance_finalise
from acceptance.services.inspection import inspection_reminders_send
from core.errors import DomainError


class Command(BaseCommand):
    help = "Accept the plans whose public notice period has ended (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=datetime.date.fromisoformat, help="As of this date (YYYY-MM-DD).")

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        due = Application.objects.filter(status=Application.Status.NOTICE, notice_ends_on__lt=today)
        accepted = 0
        for pk in due.values_list("pk", flat=True):
            try:
                acceptance_finalise(actor=None, application=pk, today=today)
                accepted += 1
            except DomainError as exc:  # changed meanwhile (accepted by hand): nothing to do
                self.stderr.write(f"application {pk}: {exc.message}")
        reminded = inspection_reminders_send(today=today)
        self.stdout.write(f"{accepted} plan(s) accepted, {reminded} inspection reminder(s) sent.")
