"""Forms of the plan pages: the leading group (people picked by name from the school's staff)."""

from __future__ import annotations

from django import forms

from core.text import BoundedCharField
from orgs.models import User
from plans.models import LeadingGroupMember, Plan, WorkingGroup


def staff_label(user: User) -> str:
    extra = "·".join(x for x in (user.position, user.username) if x)
    return f"{user.full_name or user.username}({extra})"


class SeatForm(forms.Form):
    """Add a person to the leading group, or change their role, working group and duty."""

    user = forms.ModelChoiceField(label="人员", queryset=User.objects.none(), empty_label="请选择本校教职工…")
    role = forms.ChoiceField(label="角色", choices=LeadingGroupMember.Role.choices)
    working_group = forms.ModelChoiceField(
        label="专业工作组", queryset=WorkingGroup.objects.none(), required=False, empty_label="—"
    )
    duty = forms.CharField(label="分工", max_length=100, required=False)

    def __init__(self, *args, plan: Plan, form_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if form_id:  # a row of the seat table: its controls belong to the row's form by id
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id
        staff = User.objects.filter(organisation=plan.school, is_active=True).order_by("full_name", "username")
        self.fields["user"].queryset = staff
        self.fields["user"].label_from_instance = staff_label
        self.fields["working_group"].queryset = plan.working_groups.all()


class WorkingGroupForm(forms.Form):
    name = BoundedCharField(label="专业工作组名称", max_length=50)


class CopyForm(forms.Form):
    source = forms.ModelChoiceField(label="从方案复制", queryset=Plan.objects.none(), empty_label="请选择本校其他方案…")

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources
        self.fields["source"].label_from_instance = lambda p: f"{p.year} 年 · {p.title}"
