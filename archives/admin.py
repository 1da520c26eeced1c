"""Archive rows in the admin, read-only: schemes are edited on the bureau's pages and filings by
the office through the services (each change audited)."""

from django.contrib import admin

from archives.models import ArchiveCategory, ArchiveScheme, ArchiveVolume, Filing, GapReminder, RequiredItem
from audit.readonly import ReadOnlyAdmin


@admin.register(ArchiveScheme)
class ArchiveSchemeAdmin(ReadOnlyAdmin):
    list_display = ("title", "is_default", "bureau", "plan", "template")


@admin.register(ArchiveCategory, ArchiveVolume)
class ArchivePartAdmin(ReadOnlyAdmin):
    list_display = ("title", "scheme", "order")


@admin.register(RequiredItem)
class RequiredItemAdmin(ReadOnlyAdmin):
    list_display = ("title", "volume", "order", "primary_years", "junior_years")


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = ("title", "plan", "item", "order", "document_date", "source")
    list_select_related = ("plan__school", "item")


@admin.register(GapReminder)
class GapReminderAdmin(ReadOnlyAdmin):
    list_display = ("plan", "inspection_date", "missing", "partial", "sent_at")
