from django.contrib import admin

from audit.readonly import ReadOnlyAdmin
from tasks.models import Comment, Evidence, Reminder, Task


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    """Read-only: tasks change only through tasks.services, which write the history."""

    list_display = ("title", "plan", "measure", "assignee", "due_on", "status", "waived")
    list_filter = ("status", "waived")
    search_fields = ("title", "plan__title")
    list_select_related = ("plan", "measure", "assignee")
    raw_id_fields = ("plan", "measure", "assignee")
    readonly_fields = ("status", "waived", "waive_reason", "return_reason", "submitted_at", "closed_at", "version")


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "task", "size", "sha256", "uploaded_by", "uploaded_at")
    raw_id_fields = ("task",)


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ("task", "author", "created_at")
    raw_id_fields = ("task",)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """催办 entries are written by the deadline engine and by hand through the task page."""

    list_display = ("task", "kind", "step", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("task", "actor")

    def has_add_permission(self, request):
        return False
