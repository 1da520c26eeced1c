"""The Django admin never edits or deletes what the history describes behind the services: records
registered with ``ReadOnlyAdmin`` are shown, not changed (changes go through the audited services);
``HistoryProtectedAdmin`` refuses to delete an organisation or person that has history, saying why."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """View-only: no add, change or delete (and so no bulk delete action)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def history_count(target_type: str, pk: int, *, actor: bool = False, plan_ids: Any = None) -> int:
    """Audit entries about (or, for people, by) an object."""
    entries = AuditEntry.objects.filter(target_type=target_type, target_id=pk)
    count = entries.count()
    if actor:
        count += AuditEntry.objects.filter(actor_id=pk).count()
    if plan_ids is not None:
        count += AuditEntry.objects.filter(plan_id__in=plan_ids).count()
    return count


class HistoryProtectedAdmin:
    """Mixin for a ModelAdmin: objects with history are listed as protected on the delete page,
    so Django refuses the deletion with the reason (single and bulk delete alike)."""

    def history_of(self, obj: Any) -> int:
        raise NotImplementedError

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)  # type: ignore[misc]
        reasons = [
            f"{obj}：有 {n} 条操作记录，为保证历史完整不能删除（可改为停用）。"
            for obj in objs
            if (n := self.history_of(obj))
        ]
        if reasons:
            # The history is the reason to give, before any missing permission on related rows.
            return deleted, counts, set(), [*reasons, *protected]
        return deleted, counts, perms, protected
