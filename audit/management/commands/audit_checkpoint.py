"""`manage.py audit_checkpoint`: sign the audit chain's current head (also done by the deadline
scanner's loop). Prints the checkpoint, or says that the last one already covers the head."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit.chain import checkpoint_make


class Command(BaseCommand):
    help = "Sign a checkpoint of the audit trail's hash chain."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = checkpoint_make()
        if checkpoint is None:
            self.stdout.write("No new audit entries since the last checkpoint.")
        else:
            self.stdout.write(f"Checkpoint #{checkpoint.seq} {checkpoint.head_hash} signed at {checkpoint.signed_at}.")
