from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from guardian.admin import GuardedModelAdmin

from audit.readonly import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from orgs.admin import GrantAdmin
from plans import services
from plans.models import (
    Indicator,
    IndicatorReading,
    LeadingGroupMember,
    Measure,
    Plan,
    PlanGroupObjectPermission,
    PlanTemplate,
    PlanUserObjectPermission,
    Stage,
    TemplateIssue,
    WorkingGroup,
)


class StageInline(ReadOnlyInline):
    model = Stage
    fields = ("order", "name", "starts_on", "ends_on", "status")
    readonly_fields = fields


class SeatInline(admin.TabularInline):
    """Shown here, edited on the leading-group page, where saves go through the seat services."""

    model = LeadingGroupMember
    extra = 0
    fields = ("user", "role", "working_group", "duty")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin, GuardedModelAdmin):
    """Read-only: plans change through plans.services and the stage gates, which write the history."""

    list_display = ("title", "school", "year", "status", "updated_at")
    list_filter = ("status", "year")
    search_fields = ("title", "school__name", "school__code")
    readonly_fields = ("status",)  # moves only through the stage gates (workflows.services)
    inlines = [StageInline, SeatInline]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "order", "starts_on", "ends_on", "status")
    list_filter = ("status",)
    readonly_fields = ("status", "completed_at", "completed_by")

    def has_delete_permission(self, request, obj=None):
        return False  # would delete its measures, tasks and evidence behind the history


@admin.register(WorkingGroup)
class WorkingGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "plan")
    search_fields = ("name",)


class SeatAdminForm(forms.ModelForm):
    class Meta:
        model = LeadingGroupMember
        fields = ("plan", "user", "role", "working_group", "duty")

    def clean(self):
        data = super().clean()
        plan = data.get("plan") or getattr(self.instance, "plan", None)
        user = data.get("user") or getattr(self.instance, "user", None)
        group = data.get("working_group")
        if plan is not None and user is not None and user.organisation_id != plan.school_id:
            raise forms.ValidationError(f"{user} 不属于 {plan.school.name}，不能加入该校领导小组。")
        if plan is not None and group is not None and group.plan_id != plan.pk:
            raise forms.ValidationError("专业工作组不属于该方案。")
        if plan is not None and data.get("role") == LeadingGroupMember.Role.LEADER:
            other = plan.leading_group.filter(role=LeadingGroupMember.Role.LEADER).exclude(user=user).first()
            if other is not None:
                raise forms.ValidationError(f"该方案已有组长（{other.user}），请先调整其角色。")
        return data


@admin.register(LeadingGroupMember)
class LeadingGroupMemberAdmin(admin.ModelAdmin):
    """Seats carry the plan's grants: every save and delete goes through plans.services."""

    form = SeatAdminForm

    list_display = ("plan", "user", "role", "working_group", "duty")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "plan__title")
    raw_id_fields = ("plan", "user", "working_group")
    actions = None  # no bulk delete that would skip the service

    def get_readonly_fields(self, request, obj=None):
        return ("plan", "user") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        try:
            seat = services.seat_set(
                actor=request.user,
                plan=obj.plan,
                user=obj.user,
                role=obj.role,
                working_group=obj.working_group,
                duty=obj.duty,
            )
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = seat.pk

    def delete_model(self, request, obj):
        services.seat_remove(actor=request.user, plan=obj.plan, user=obj.user)


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("title", "stage", "owner", "starts_on", "ends_on", "weight")
    search_fields = ("title",)
    list_select_related = ("stage", "owner")

    def has_delete_permission(self, request, obj=None):
        return False  # would delete its tasks and evidence behind the history


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("name", "plan", "direction", "target", "unit")
    search_fields = ("name",)

    def has_delete_permission(self, request, obj=None):
        return False  # would delete its readings behind the history


@admin.register(IndicatorReading)
class IndicatorReadingAdmin(ReadOnlyAdmin):
    list_display = ("indicator", "value", "measured_on", "reported_by", "voided_at", "evidence_sha256")

    def get_queryset(self, request):
        return IndicatorReading.all_objects.all()  # voided readings too: they stay in the history


# --- templates ----------------------------------------------------------------------------------


class TemplateIssueInline(admin.TabularInline):
    model = TemplateIssue
    extra = 0
    fields = ("school", "plan", "issued_by", "issued_at")
    readonly_fields = fields
    can_delete = False


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "year", "bureau", "created_by", "created_at")
    search_fields = ("title",)
    readonly_fields = ("spec", "source_name", "source_sha256", "created_by", "created_at")
    inlines = [TemplateIssueInline]


@admin.register(TemplateIssue)
class TemplateIssueAdmin(admin.ModelAdmin):
    list_display = ("template", "school", "plan")
    list_select_related = ("template", "school", "plan")
    raw_id_fields = ("template", "school", "plan")


@admin.register(PlanGroupObjectPermission)
class PlanGroupGrantAdmin(GrantAdmin):
    list_display = ("group", "permission", "content_object")
    search_fields = ("group__name",)


@admin.register(PlanUserObjectPermission)
class PlanUserGrantAdmin(GrantAdmin):
    list_display = ("user", "permission", "content_object")
    search_fields = ("user__username",)
