from django.contrib import admin

from accounts.models import UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "last_seen_at", "ip")
    search_fields = ("user__username",)
    readonly_fields = ("user", "session_key", "created_at", "last_seen_at", "user_agent", "ip")

    def has_add_permission(self, request):  # rows are written at sign-in only
        return False
