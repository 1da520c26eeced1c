"""The gate signature form: an optional opinion (签署意见), refused (never cut) past its length."""

from __future__ import annotations

from django import forms

from workflows.rules import OPINION_MAX


class StageSignForm(forms.Form):
    opinion = forms.CharField(
        label="签署意见（选填）",
        required=False,
        max_length=OPINION_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "如：本阶段任务均已落实，材料齐全。"}),
        error_messages={"max_length": "签署意见最多 %(limit_value)d 字（现有 %(show_value)d 字）。"},
    )
