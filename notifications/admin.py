from django.contrib import admin

from notifications.models import Notification, Reminder


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "plan", "task")


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """催办 entries are written by the deadline engine and by hand through the task page."""

    list_display = ("task", "kind", "step", "actor", "created_at")
    list_filter = ("kind",)
    raw_id_fields = ("task", "actor")

    def has_add_permission(self, request):
        return False
