from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditCheckpoint, AuditEntry
from audit.readonly import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only."""

    list_display = ("seq", "created_at", "action", "actor", "plan_id", "target_type", "target_id", "from_state", "to_state")
    list_filter = ("action", "target_type")
    search_fields = ("action", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    """Signed checkpoints of the hash chain (audit.chain): shown, never written here."""

    list_display = ("seq", "head_hash", "signed_at")
