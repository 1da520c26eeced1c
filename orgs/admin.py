from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from guardian.admin import GuardedModelAdmin

from audit.readonly import HistoryProtectedAdmin, history_count
from orgs import grants
from orgs.models import Organisation, OrganisationGroupObjectPermission, OrganisationUserObjectPermission, User


@admin.register(Organisation)
class OrganisationAdmin(HistoryProtectedAdmin, GuardedModelAdmin):
    list_display = ("code", "name", "kind", "parent", "township", "is_active")
    list_filter = ("kind", "township", "is_active")
    search_fields = ("code", "name")

    def history_of(self, obj):
        # The school's plans through the reverse relation (orgs sits below plans and never imports it).
        return history_count("orgs.organisation", obj.pk, plan_ids=obj.plans.values("pk"))

    def save_model(self, request, obj, form, change):
        # Visibility follows the tree: grant it as orgs.services.organisation_create does.
        super().save_model(request, obj, form, change)
        grants.ensure_org_group(obj)
        if not change or "parent" in form.changed_data or "kind" in form.changed_data:
            if obj.kind == Organisation.Kind.BUREAU:
                # Every school of the county, under its centres too: the city's grants follow.
                grants.resync_county_visibility(obj)
            grants.resync_school_visibility(obj)
            for school in Organisation.objects.filter(parent=obj, kind=Organisation.Kind.SCHOOL):
                grants.resync_school_visibility(school)


def _without_grant_fields(fieldsets):
    """Django's user fieldsets minus groups and user permissions: grants follow organisations and
    seats only (orgs.grants, plans.grants), so the admin form never rewrites them."""
    cleaned = []
    for name, options in fieldsets:
        fields = tuple(f for f in options.get("fields", ()) if f not in ("groups", "user_permissions"))
        cleaned.append((name, {**options, "fields": fields}))
    return tuple(cleaned)


@admin.register(User)
class UserAdmin(HistoryProtectedAdmin, DjangoUserAdmin):
    list_display = ("username", "full_name", "organisation", "position", "bureau_role", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "bureau_role", "organisation__kind")
    search_fields = ("username", "full_name", "organisation__name")
    fieldsets = _without_grant_fields(DjangoUserAdmin.fieldsets) + (
        ("单位与角色", {"fields": ("full_name", "organisation", "position", "bureau_role")}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        ("单位与角色", {"fields": ("full_name", "organisation", "position", "bureau_role")}),
    )

    def history_of(self, obj):
        return history_count("orgs.user", obj.pk, actor=True)

    def save_related(self, request, form, formsets, change):
        # The organisation's group carries what the user may see: follow a changed organisation.
        super().save_related(request, form, formsets, change)
        grants.sync_user_organisation(form.instance)


class GrantAdmin(admin.ModelAdmin):
    """The grants themselves, visible for audits; written only by the grant code, so read-only."""

    list_select_related = ("permission", "content_object")
    raw_id_fields = ("content_object",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OrganisationGroupObjectPermission)
class OrganisationGroupGrantAdmin(GrantAdmin):
    list_display = ("group", "permission", "content_object")
    search_fields = ("group__name",)


@admin.register(OrganisationUserObjectPermission)
class OrganisationUserGrantAdmin(GrantAdmin):
    list_display = ("user", "permission", "content_object")
    search_fields = ("user__username",)
