from __future__ import annotations

from django import forms

from core.text import BoundedCharField
from core.uploads import ALLOWED_LABEL
from plans.models import LeadingGroupMember, Plan, WorkingGroup
from plans.selectors import seat_rank


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def seat_choices(plan: Plan) -> list[tuple[int, str]]:
    seats = LeadingGroupMember.objects.filter(plan=plan).select_related("user").order_by(seat_rank(), "user__full_name")
    return [
        (s.user_id, f"{s.user}（{s.get_role_display()}{'·' + s.user.position if s.user.position and s.user.position != s.get_role_display() else ''}）")
        for s in seats
    ]


class TaskForm(forms.Form):
    title = BoundedCharField(label="任务名称", max_length=200)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    assignee = forms.TypedChoiceField(label="责任人", coerce=int, required=False, empty_value=None)
    starts_on = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_on = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(label="权重", min_value=0, max_digits=7, decimal_places=2, initial=1)

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "暂不分派")] + seat_choices(plan)

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("due_on") and data["due_on"] < data["starts_on"]:
            self.add_error("due_on", "截止日期不能早于开始日期。")
        return data


class BulkAssignForm(forms.Form):
    tasks = forms.TypedMultipleChoiceField(
        label="任务", coerce=int, error_messages={"required": "请至少勾选一项任务。"}
    )
    target = forms.ChoiceField(label="分派给", error_messages={"required": "请选择责任人或专业工作组。"})

    def __init__(self, *args, plan: Plan, task_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tasks"].choices = task_choices
        groups = [(f"group:{g.pk}", f"专业工作组：{g.name}（轮流分派）") for g in WorkingGroup.objects.filter(plan=plan)]
        people = [(f"user:{pk}", label) for pk, label in seat_choices(plan)]
        self.fields["target"].choices = [("", "请选择…")] + people + groups


class SubmitForm(forms.Form):
    note = forms.CharField(label="提交说明", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000)
    files = MultipleFileField(label=f"佐证材料（可多选；{ALLOWED_LABEL}）", required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "请填写理由。"},
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="评论",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "写下您的意见…"}),
        max_length=5000,
        error_messages={"required": "评论内容不能为空。"},
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(label="佐证材料", error_messages={"required": "请选择要上传的文件。"})


class TaskEditForm(forms.Form):
    title = BoundedCharField(label="任务名称", max_length=200)
    description = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    due_on = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(label="权重", min_value=0, max_digits=7, decimal_places=2)
    version = forms.IntegerField(widget=forms.HiddenInput)
