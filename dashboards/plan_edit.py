"""The plan's edit page: title and summary, stage windows, and shifting every date by N days
with a preview first. The one check is plans.permissions.can_edit_plan; writes go through
plans.services and tasks.services (which shifts the tasks and calls down for the rest)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError
from core.text import BoundedCharField
from orgs.models import User
from plans import selectors, services
from plans.models import Measure, Plan, PlanTemplate, Stage
from plans.permissions import can_cancel_measure, can_edit_plan, can_edit_template, can_manage_plan_tasks
from plans.rules import measure_cancel_refusal
from tasks.services import DateShift, plan_dates_shift, plan_dates_shift_preview, plan_earliest_date
from tasks.services import measure_cancel as measure_cancel_service


class PlanForm(forms.Form):
    title = BoundedCharField(label="方案名称", max_length=200)
    summary = forms.CharField(label="工作目标", required=False, widget=forms.Textarea(attrs={"rows": 4}))


class WindowForm(forms.Form):
    starts_on = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class StageAddForm(forms.Form):
    name = forms.CharField(label="阶段名称", max_length=50)
    starts_on = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))


class MeasureForm(forms.Form):
    title = BoundedCharField(label="措施名称", max_length=200)
    owner = forms.ModelChoiceField(label="责任人", queryset=User.objects.none(), required=False, empty_label="—")
    responsible_units = forms.CharField(label="责任单位", max_length=200, required=False)
    starts_on = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(label="权重", min_value=0, max_digits=7, decimal_places=2)

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(organisation=plan.school, is_active=True).order_by(
            "full_name", "username"
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="取消理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写取消理由。"},
    )


class ShiftForm(forms.Form):
    """A shift by N days, or to a new start date (N computed from the current first date)."""

    days = forms.IntegerField(
        label="整体调整天数",
        min_value=-services.MAX_SHIFT_DAYS,
        max_value=services.MAX_SHIFT_DAYS,
        required=False,
        help_text="正数推后，负数提前；如下一年度填 365。",
    )
    start = forms.DateField(
        label="或：新的开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="最早的日期移到这一天，其余日期随之平移。",
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if (data.get("days") is None) == (data.get("start") is None) and not self.errors:
            raise forms.ValidationError("请填写调整天数或新的开始日期（二选一）。")
        return data

    def shift_days(self, earliest) -> int | None:
        """N for the preview: the days given, or the distance from ``earliest`` to the new start
        (None, with the reason on the form, when it cannot be computed)."""
        data = self.cleaned_data
        try:
            days = data["days"] if data.get("days") is not None else services.days_to_start(earliest, data["start"])
            services.check_shift_days(days)
        except DomainError as exc:
            self.add_error(None, exc.message)
            return None
        return days


class ConfirmShiftForm(forms.Form):
    days = forms.IntegerField(min_value=-services.MAX_SHIFT_DAYS, max_value=services.MAX_SHIFT_DAYS)


def _editable(request: HttpRequest, pk: int) -> Plan:
    plan = selectors.plan_for(request.user, pk)
    if not can_edit_plan(request.user, plan):
        raise Http404
    return plan


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable(request, pk)
    form = PlanForm(request.POST or None, initial={"title": plan.title, "summary": plan.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(actor=request.user, plan=plan, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "方案已保存。")
            return redirect("plans:plan_edit", plan.pk)
    shift = ShiftForm(request.GET or None)
    earliest = plan_earliest_date(plan)
    days = shift.shift_days(earliest) if shift.is_valid() else None
    preview = plan_dates_shift_preview(plan, days) if days is not None else None
    stages = [
        (stage, WindowForm(initial={"starts_on": stage.starts_on, "ends_on": stage.ends_on}, prefix=f"s{stage.pk}"))
        for stage in plan.stages.order_by("order")
    ]
    return render(
        request,
        "dashboards/plan_edit.html",
        {
            "plan": plan,
            "form": form,
            "stages": stages,
            "shift": shift,
            "preview": preview,
            "days": days,
            "earliest": earliest,
            "shift_action": reverse("plans:dates_shift", args=[plan.pk]),
            "stage_add": StageAddForm(prefix="new"),
            "can_add_stage": bool(stages) and stages[-1][0].status == Stage.Status.PENDING,
        },
    )


@login_required
@require_POST
def stage_window(request: HttpRequest, pk: int, stage_pk: int) -> HttpResponse:
    plan = _editable(request, pk)
    stage = get_object_or_404(Stage, pk=stage_pk, plan=plan)
    form = WindowForm(request.POST, prefix=f"s{stage.pk}")
    try:
        if not form.is_valid():
            raise DomainError("请填写正确的日期。")
        services.stage_window_set(actor=request.user, stage=stage, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已保存“{stage.name}”的时间。")
    return redirect("plans:plan_edit", plan.pk)


@login_required
@require_POST
def dates_shift(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable(request, pk)
    form = ConfirmShiftForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请填写要调整的天数。")
        # The days the preview computed (also for a new start date): what was shown is what is done.
        counts = plan_dates_shift(actor=request.user, plan=plan, days=form.cleaned_data["days"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已将日期整体调整 {counts['days']} 天：阶段 {counts['stages']} 个，措施 {counts['measures']} 项，任务 {counts['tasks']} 项。",
        )
    return redirect("plans:plan_edit", plan.pk)


@login_required
@require_POST
def stage_add(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _editable(request, pk)
    form = StageAddForm(request.POST, prefix="new")
    try:
        if not form.is_valid():
            raise DomainError("请填写阶段名称和正确的日期。")
        stage = services.stage_add(actor=request.user, plan=plan, **form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已新增“{stage.name}”。")
    return redirect("plans:plan_edit", plan.pk)


@login_required
def measure_edit(request: HttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    plan = selectors.plan_for(request.user, pk)
    if not can_manage_plan_tasks(request.user, plan):
        raise Http404
    measure = get_object_or_404(Measure.objects.select_related("stage", "owner"), pk=measure_pk, stage__plan=plan)
    initial = {
        "title": measure.title,
        "owner": measure.owner,
        "responsible_units": measure.responsible_units,
        "starts_on": measure.starts_on,
        "ends_on": measure.ends_on,
        "weight": measure.weight,
    }
    form = MeasureForm(request.POST or None, plan=plan, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_update(actor=request.user, measure=measure, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "措施已保存。")
            return redirect(reverse("plans:plan_detail", args=[plan.pk]) + f"#measure-{measure.pk}")
    context = {
        "plan": plan,
        "measure": measure,
        "form": form,
        "can_cancel": measure_cancel_refusal(request.user, measure) is None,
        "cancel_form": CancelForm(prefix="cancel"),
        "open_tasks": measure.tasks.exclude(status="closed").count(),
    }
    return render(request, "dashboards/measure_edit.html", context)


@login_required
@require_POST
def measure_cancel(request: HttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    """Cancel a measure and its open tasks with a reason (the page asked to confirm first)."""
    plan = selectors.plan_for(request.user, pk)
    measure = get_object_or_404(Measure.objects.select_related("stage"), pk=measure_pk, stage__plan=plan)
    measure.stage.plan = plan
    if not can_cancel_measure(request.user, measure):
        raise Http404  # as the measure's edit page: who may not edit it does not learn of it
    form = CancelForm(request.POST, prefix="cancel")
    try:
        if not form.is_valid():
            raise DomainError("请填写取消理由。")
        tasks = measure_cancel_service(actor=request.user, measure=measure, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("plans:measure_edit", plan.pk, measure.pk)
    messages.success(request, f"措施“{measure.title}”已取消，{len(tasks)} 项未完成任务一并取消。")
    return redirect(reverse("plans:plan_detail", args=[plan.pk]) + f"#measure-{measure.pk}")


# --- a bureau's plan template: the same shift, on the template's dates --------------------------


def _template(request: HttpRequest, pk: int) -> PlanTemplate:
    template = get_object_or_404(PlanTemplate.objects.select_related("bureau"), pk=pk)
    if not can_edit_template(request.user, template):
        raise Http404
    return template


@login_required
@require_GET
def template_dates(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview a shift of the template's dates (by N days or to a new start date)."""
    template = _template(request, pk)
    shift = ShiftForm(request.GET or None)
    earliest = services.template_earliest_date(template)
    days = shift.shift_days(earliest) if shift.is_valid() else None
    rows = services.template_date_shifts(template, days) if days is not None else None
    preview = [DateShift(*row) for row in rows] if rows is not None else None
    context = {
        "template": template,
        "shift": shift,
        "preview": preview,
        "days": days,
        "earliest": earliest,
        "shift_action": reverse("plans:template_dates_shift", args=[template.pk]),
    }
    return render(request, "dashboards/template_dates.html", context)


@login_required
@require_POST
def template_dates_shift(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template(request, pk)
    form = ConfirmShiftForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("请填写要调整的天数。")
        counts = services.template_dates_shift(actor=request.user, template=template, days=form.cleaned_data["days"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已将模板日期整体调整 {counts['days']} 天：阶段 {counts['stages']} 个，措施 {counts['measures']} 项，"
            f"任务 {counts['tasks']} 项。已下发的方案不受影响。",
        )
    return redirect("plans:template_dates", template.pk)
