"""Forms of the Excel pages. Choices come from selectors, so nobody is offered what they may not use;
the services check permission again on submit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from core.text import BoundedCharField
from excel import permissions
from excel.models import WorkbookImport
from orgs.models import Organisation
from orgs.selectors import visible_schools
from plans.models import Plan
from plans.selectors import plan_ids_granted, visible_plans

Kind = WorkbookImport.Kind


def importable_schools(user: Any):
    if not permissions.can_manage_templates(user) and not user.is_superuser:
        return Organisation.objects.none()
    return visible_schools(user).order_by("township", "code")


def importable_plans(user: Any):
    """Plans the user may import into: those they manage (excel.permissions.can_import_into_plan)."""
    plans = visible_plans(user).select_related("school")
    if not user.is_superuser:
        plans = plans.filter(pk__in=plan_ids_granted(user, "manage_plan_tasks")["manage_plan_tasks"])
    return plans.order_by("school__code", "-year", "title")


class UploadForm(forms.Form):
    file = forms.FileField(label="Excel 文件(.xlsx)", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    kind = forms.ChoiceField(label="导入为", widget=forms.RadioSelect)
    school = forms.ModelChoiceField(
        label="学校", queryset=Organisation.objects.none(), required=False, empty_label="请选择学校"
    )
    plan = forms.ModelChoiceField(
        label="已有方案", queryset=Plan.objects.none(), required=False, empty_label="请选择方案"
    )
    title = BoundedCharField(
        label="方案名称", max_length=200, required=False, help_text="留空则使用表格标题行（表头上方的标题）。"
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)

    def __init__(self, *args, user: Any, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = importable_schools(user)
        self.fields["plan"].queryset = importable_plans(user)
        choices = []
        if self.fields["school"].queryset.exists():
            choices += [(Kind.NEW_PLAN, "为学校新建方案"), (Kind.TEMPLATE, "作为方案模板（之后下发给学校）")]
        if self.fields["plan"].queryset.exists():
            choices.append((Kind.INTO_PLAN, "导入到已有方案（追加措施、任务、指标、评估要点）"))
        self.fields["kind"].choices = choices
        if choices:
            self.fields["kind"].initial = choices[0][0]
        self.fields["year"].initial = timezone.localdate().year
        plans = list(self.fields["plan"].queryset[:2])
        if len(plans) == 1:
            self.fields["plan"].initial = plans[0].pk
        self.can_import = bool(choices)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Kind.NEW_PLAN and not data.get("school"):
            self.add_error("school", "请选择学校。")
        if kind == Kind.INTO_PLAN and not data.get("plan"):
            self.add_error("plan", "请选择方案。")
        return data


class IssueForm(forms.Form):
    schools = forms.ModelMultipleChoiceField(
        label="下发给", queryset=Organisation.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    title = BoundedCharField(label="方案名称", max_length=200, required=False, help_text="留空则使用模板名称。")
    year = forms.IntegerField(
        label="年度", min_value=2000, max_value=2100, required=False, help_text="留空则使用模板年度。日期保持模板原样。"
    )

    def __init__(self, *args, user: Any, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools_under(user, template.bureau)


def schools_under(user: Any, bureau: Organisation):
    """Visible schools of ``bureau`` (directly under it, or under one of its township centres)."""
    return (
        visible_schools(user)
        .filter(Q(parent=bureau) | Q(parent__parent=bureau))
        .select_related("parent")
        .order_by("township", "code")
    )
