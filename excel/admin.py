from django.contrib import admin

from excel.models import WorkbookImport


@admin.register(WorkbookImport)
class WorkbookImportAdmin(admin.ModelAdmin):
    """Read-only: rows are written by excel.services."""

    list_display = ("created_at", "source_name", "kind", "status", "uploaded_by", "school", "plan")
    list_filter = ("kind", "status")
    search_fields = ("source_name", "source_sha256", "title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
