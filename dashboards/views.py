"""Dashboard pages: the county dashboard for overseers, the school dashboard of a plan, and an
indicator's history with its report form. Reads go through dashboards.selectors, the one write
through dashboards.services.indicator_report.

Each dashboard answers ``?partial=1`` with only its live region (static/js/dashboard.js swaps it in
when a plan changes), so the numbers are rendered by one template whether or not JavaScript runs.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from acceptance.states import label_plans
from core.errors import DomainError
from core.storage import download_response
from core.uploads import ACCEPT
from dashboards.indicators import indicator_status
from dashboards.rollups import behind_margin
from dashboards.selectors import county_dashboard, parse_county_filters, school_dashboard
from dashboards.services import indicator_report
from dashboards.services import reading_void as reading_void_service
from orgs.permissions import is_overseer
from plans import selectors
from plans.models import Indicator, IndicatorReading, LeadingGroupMember, Plan
from plans.permissions import can_manage_plan_tasks, can_report_indicator, can_report_on_plan, can_void_reading
from tasks.extensions import filing_apply, filing_choices, filing_offers

COUNTY_COLUMNS = [
    # key, label, numeric (first click sorts descending)
    ("school", "学校", False),
    ("township", "乡镇", False),
    ("stage", "当前阶段", False),
    ("percent", "完成进度", True),
    ("expected", "应完成", True),
    ("lag", "滞后", True),
    ("overdue", "逾期任务", True),
    ("indicators", "指标达标", True),
    ("activity", "最近动态", True),
]

SORT_CHOICES = [
    ("township", "按乡镇"),
    ("school", "按学校代码"),
    ("-lag", "滞后最多在前"),
    ("-overdue", "逾期任务最多在前"),
    ("percent", "完成进度最低在前"),
    ("-percent", "完成进度最高在前"),
    ("indicators", "指标达标最少在前"),
    ("-activity", "最近有动态在前"),
    ("activity", "最久没有动态在前"),
    ("stage", "按当前阶段"),
]


def _partial(request: HttpRequest) -> bool:
    return request.GET.get("partial") == "1"


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """看板: overseers get the county, school staff the dashboard of their school's newest plan."""
    user = request.user
    if is_overseer(user):
        return redirect("dashboards:county")
    plans = selectors.visible_plans(user).order_by("-year", "title")
    plan = plans.filter(school_id=user.organisation_id).first() or plans.first()
    if plan is None:
        return render(request, "dashboards/no_plan.html")
    return redirect("dashboards:school", pk=plan.pk)


@login_required
def county(request: HttpRequest) -> HttpResponse:
    """One row per school under the viewer, for one plan template; filters, sorting and the page by
    GET. A city sees a summary per county (each links to that county's filter) above the table."""
    if not is_overseer(request.user):
        raise PermissionDenied("全县看板仅供市、县教育局、督导室和中心学校查看。")
    filters = parse_county_filters(request.GET)
    dash = county_dashboard(request.user, filters)
    page_rows = dash.page_rows
    label_plans([row.plan for row in [*page_rows, *dash.ranking] if row.plan])
    campaign = {
        "year": dash.campaign.year if dash.campaign else "",
        "title": dash.campaign.title if dash.campaign else "",
    }
    base = {
        **campaign,
        "county": filters.county or "",
        "township": filters.township,
        "stage": filters.stage,
    }
    if filters.behind_only:
        base["behind"] = "1"
    base = {k: v for k, v in base.items() if v not in ("", None)}
    columns = []
    for key, label, numeric in COUNTY_COLUMNS:
        current = filters.sort == key
        descending = (not filters.descending) if current else numeric
        columns.append(
            {
                "key": key,
                "label": label,
                "url": "?" + urlencode({**base, "sort": f"-{key}" if descending else key}),
                "current": current,
                "arrow": ("▼" if filters.descending else "▲") if current else "",
                "aria": ("descending" if filters.descending else "ascending") if current else "none",
            }
        )
    _link_rows(dash, page_rows)
    sorted_base = {**base, "sort": filters.sort_param}
    live_url = "?" + urlencode({**sorted_base, "page": dash.page, "partial": "1"})
    context = {
        "dash": dash,
        "columns": columns,
        "live_url": live_url,
        "county_links": _summary_links(dash.counties, {k: v for k, v in campaign.items() if v}, "county"),
        "township_links": _summary_links(
            dash.township_summaries, {k: v for k, v in base.items() if k != "township"}, "township"
        ),
        "page_links": _page_links(dash, sorted_base),
        "now": timezone.localtime(),
        "margin": behind_margin(),
        "sort_choices": _sort_choices(filters.sort_param),
        "rows_html": _county_rows_html(page_rows),
    }
    template = "dashboards/_county_live.html" if _partial(request) else "dashboards/county.html"
    return render(request, template, context)


def _county_rows_html(rows) -> str:
    """The county table's rows. Built here rather than in the template: 500 rows of nine cells
    take 50-100 ms in the template engine and a few ms as strings. Every text is escaped."""
    out = []
    for row in rows:
        p, name = row.progress, escape(row.school.name)
        if row.plan:
            school = (
                f'<a href="{row.plan_url}">{name}</a> '
                f'<a class="small dash-link" href="{row.dashboard_url}" title="{name} 的看板">看板</a>'
            )
            stage = escape(row.stage_name)
            if row.plan.status != Plan.Status.ACTIVE:  # 验收中, 公示中, 整改中, 已验收 (acceptance.states)
                stage += f' <span class="badge plan-status-{row.plan.status}">{escape(row.plan.state_label)}</span>'
        else:
            school, stage = name, '<span class="muted">未建立方案</span>'
        if p is None:
            bar = expected = lag = overdue = "—"
        else:
            # data-* rather than style: the Content Security Policy refuses inline styles (static/js/layout.js).
            tick = f'<div class="dbar-expected" data-left="{p.expected_css[:-1]}"></div>' if p.expected_css else ""
            bar = (
                f'<div class="dbar{" dbar-behind" if p.behind else ""}"><div class="dbar-fill" '
                f'data-width="{p.percent_css[:-1]}"></div>{tick}<span class="dbar-label">{p.percent_int}%</span></div>'
            )
            expected = p.expected_display
            if p.behind:
                lag = f'<span class="badge overdue" title="比应完成低 {p.lag_int} 个百分点">滞后 {p.lag_int}</span>'
            elif p.expected is None:
                lag = '<span class="muted small">未排期</span>'
            else:
                lag = '<span class="badge status-closed">正常</span>'
            overdue = f'<span class="text-danger">{p.overdue}</span>' if p.overdue else "0"
        indicators = "—"
        if row.indicators_total:
            indicators = f"{row.indicators_met}/{row.indicators_total}"
            if row.indicators_reported < row.indicators_total:
                indicators += (
                    f' <span class="muted small" title="尚有指标未上报">({row.indicators_reported} 项已报)</span>'
                )
        activity = row.activity_text or '<span class="muted">—</span>'
        tr_class = ' class="row-behind"' if p and p.behind else ""
        out.append(
            f"<tr{tr_class}>"
            f'<td data-label="学校" class="cell-school cell-title"><span>{school}</span></td>'
            f'<td data-label="乡镇">{escape(row.school.township) or "—"}</td>'
            f'<td data-label="当前阶段">{stage}</td>'
            f'<td data-label="完成进度" class="cell-progress">{bar}</td>'
            f'<td data-label="应完成" class="num">{expected}</td>'
            f'<td data-label="滞后">{lag}</td>'
            f'<td data-label="逾期任务" class="num">{overdue}</td>'
            f'<td data-label="指标达标" class="num"><span>{indicators}</span></td>'
            f'<td data-label="最近动态" class="nowrap">{activity}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 - built from escaped text and numbers only


def _summary_links(groups, base: dict, param: str) -> list[tuple[Any, str]]:
    """Each county or township summary with the URL that filters the table to it."""
    return [(g, "?" + urlencode({**base, param: g.key})) for g in groups if g.key not in ("", "None")]


def _page_links(dash, base: dict) -> dict[str, str]:
    """Previous and next page URLs (empty at either end), keeping filters and order."""
    links = {"prev": "", "next": ""}
    if dash.page > 1:
        links["prev"] = "?" + urlencode({**base, "page": dash.page - 1})
    if dash.page < dash.pages:
        links["next"] = "?" + urlencode({**base, "page": dash.page + 1})
    return links


def _link_rows(dash, page_rows) -> None:
    """Plan and dashboard links of the rendered rows, reversed once: {% url %} per row is a
    measurable share of a large page."""
    plan_url = reverse("plans:plan_detail", args=[987654321]).replace("987654321", "{}")
    school_url = reverse("dashboards:school", args=[987654321]).replace("987654321", "{}")
    for row in [*page_rows, *dash.ranking]:
        if row.plan is not None:
            row.plan_url, row.dashboard_url = plan_url.format(row.plan.pk), school_url.format(row.plan.pk)


def _sort_choices(current: str) -> list[tuple[str, str]]:
    """The fixed choices, plus the current order when it came from a column header."""
    if current in dict(SORT_CHOICES):
        return SORT_CHOICES
    label = dict((k, v) for k, v, _ in COUNTY_COLUMNS).get(current.lstrip("-"), "")
    return [*SORT_CHOICES, (current, f"按{label}{'（降序）' if current.startswith('-') else '（升序）'}")]


def _plan_with_role(user, pk: int) -> Plan:
    """The plan if the user may see it (404 otherwise), annotated with the viewer's seat role (for
    display only: what the viewer may do is asked of the permission predicates)."""
    seat = LeadingGroupMember.objects.filter(plan_id=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    plan = (
        selectors.visible_plans(user)
        .select_related("school", "school__parent")
        .annotate(viewer_role=Subquery(seat))
        .filter(pk=pk)
        .first()
    )
    if plan is None:
        raise Http404("方案不存在或您无权查看。")
    return plan


@login_required
def school(request: HttpRequest, pk: int) -> HttpResponse:
    """The dashboard of one plan: everyone who may see the plan, read-only (404 for anyone else)."""
    plan = _plan_with_role(request.user, pk)
    label_plans([plan])
    dash = school_dashboard(plan)
    role = plan.viewer_role
    context = {
        "dash": dash,
        "plan": plan,
        "my_role": dict(LeadingGroupMember.Role.choices).get(role),
        "can_report": can_report_on_plan(request.user, plan),
        "read_only": not can_manage_plan_tasks(request.user, plan),
        "now": timezone.localtime(),
        "live_url": "?partial=1",
        "margin": behind_margin(),
    }
    template = "dashboards/_school_live.html" if _partial(request) else "dashboards/school.html"
    return render(request, template, context)


class ReadingForm(forms.Form):
    value = forms.DecimalField(label="实际值", max_digits=18, decimal_places=4)
    measured_on = forms.DateField(
        label="测量日期",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),  # ISO, as type=date needs
    )
    note = forms.CharField(label="说明", max_length=200, required=False)
    evidence = forms.FileField(
        label="佐证材料", required=False, widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measured_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        self.fields["value"].widget.attrs.update({"step": "any", "inputmode": "decimal", "min": "0"})


def _visible_indicator(user, pk: int) -> Indicator:
    indicator = (
        Indicator.objects.filter(pk=pk, plan__in=selectors.visible_plans(user))
        .select_related("plan", "plan__school")
        .first()
    )
    if indicator is None:
        raise Http404("指标不存在或您无权查看。")
    return indicator


@login_required
@require_http_methods(["GET", "POST"])
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An indicator's readings as a chart and a table; seats of the leading group report here."""
    indicator = _visible_indicator(request.user, pk)
    may_report = can_report_indicator(request.user, indicator)
    form = ReadingForm(initial={"measured_on": timezone.localdate()})
    if request.method == "POST":
        if not may_report:
            raise PermissionDenied("只有该方案领导小组的成员可以上报指标。")
        form = ReadingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                filings = filing_choices(request.user, indicator.plan, request.POST)  # before anything is written
                if filings and not form.cleaned_data["evidence"]:
                    raise DomainError("要归档，请同时选择佐证材料文件。")
                reading = indicator_report(
                    actor=request.user,
                    indicator=indicator,
                    value=form.cleaned_data["value"],
                    measured_on=form.cleaned_data["measured_on"],
                    note=form.cleaned_data["note"],
                    evidence=form.cleaned_data["evidence"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"已上报“{indicator.name}”的实际值。")
                filing_apply(request, indicator.plan, filings, "reading", reading.pk)
                return redirect("dashboards:indicator", pk=indicator.pk)
    # Every reading, voided ones too (shown as 已作废); only the counting ones make the status.
    readings = list(IndicatorReading.all_objects.filter(indicator=indicator).select_related("reported_by", "voided_by"))
    for reading in readings:
        reading.met = indicator.is_met_by(reading.value)
        reading.indicator = indicator
        reading.may_void = can_void_reading(request.user, reading)
    status = indicator_status(indicator, [r for r in readings if r.voided_at is None])
    return render(
        request,
        "dashboards/indicator.html",
        {
            "indicator": indicator,
            "plan": indicator.plan,
            "status": status,
            "form": form,
            "may_report": may_report,
            "filing_offers": filing_offers(request.user, indicator.plan) if may_report else [],
            "filing_typed": request.POST if request.method == "POST" else {},
            "history": sorted(readings, key=lambda r: (r.measured_on, r.pk), reverse=True),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def reading_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a reading of an indicator the viewer may see (404 otherwise) with a reason."""
    reading = (
        IndicatorReading.all_objects.filter(pk=pk, indicator__plan__in=selectors.visible_plans(request.user))
        .select_related("indicator")
        .first()
    )
    if reading is None:
        raise Http404("读数不存在或您无权查看。")
    try:
        reading_void_service(actor=request.user, reading=reading, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已作废“{reading.indicator.name}”的一次读数。")
    return redirect("dashboards:indicator", pk=reading.indicator_id)


@login_required
def reading_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a reading's evidence file, for anyone who may see the plan (404 otherwise)."""
    reading = (  # a voided reading's evidence stays downloadable: it is part of the history
        IndicatorReading.all_objects.filter(pk=pk, indicator__plan__in=selectors.visible_plans(request.user))
        .select_related("indicator")
        .first()
    )
    if reading is None or not reading.evidence:
        raise Http404("佐证材料不存在或您无权查看。")
    ext = os.path.splitext(reading.evidence.name)[1].lower()
    filename = f"{reading.indicator.name}-{reading.measured_on:%Y%m%d}{ext}"
    return download_response(reading.evidence, filename=filename)
