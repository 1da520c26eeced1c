"""Pages for Excel import (upload → dry-run preview → one-time confirm), templates, and exports."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from excel import exports, permissions, services
from excel.example import example_workbook
from excel.forms import IssueForm, UploadForm, importable_plans, importable_schools
from excel.importer import Target, resolve
from excel.models import WorkbookImport
from excel.safety import MAX_FILE_BYTES, WorkbookRefused
from excel.spec import WorkbookSpec, problems_from_json
from excel.writer import XLSX_CONTENT_TYPE, XlsxBook
from plans import selectors
from plans.models import PlanTemplate, TemplateIssue

PREVIEW_ROWS = 300


def _xlsx(book: XlsxBook, filename: str) -> FileResponse:
    response = FileResponse(book.save(), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    plans = list(
        selectors.visible_plans(user).select_related("school").order_by("school__code", "-year", "title")[:200]
    )
    can_import = importable_schools(user).exists() or importable_plans(user).exists()
    templates = []
    if permissions.can_manage_templates(user):
        templates = list(PlanTemplate.objects.filter(bureau=permissions.user_bureau(user)).order_by("-created_at")[:50])
    recent = WorkbookImport.objects.filter(uploaded_by=user).select_related("plan", "school", "template")[:10]
    return render(
        request,
        "excel/index.html",
        {
            "plans": plans,
            "can_import": can_import,
            "templates": templates,
            "recent": recent,
            "can_export_county": permissions.can_export_county(user),
            "can_manage_templates": permissions.can_manage_templates(user),
        },
    )


# --- import ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    # Refuse an oversized body before Django spools it to disk.
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FILE_BYTES + 64 * 1024:
        form = UploadForm(user=request.user)
        return render(
            request,
            "excel/upload.html",
            {"form": form, "upload_error": "文件超过 10 MB，请删去无关内容或拆分后再导入。"},
            status=400,
        )
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.can_import:
        raise PermissionDenied("您没有可导入的学校或方案。")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = Target(
            kind=data["kind"],
            title=data["title"].strip(),
            year=data["year"],
            school=data["school"],
            plan=data["plan"],
            bureau=permissions.user_bureau(request.user),
        )
        if target.kind != WorkbookImport.Kind.NEW_PLAN:
            target.school = None
        if target.kind != WorkbookImport.Kind.INTO_PLAN:
            target.plan = None
        upload_file = data["file"]
        try:
            row = services.workbook_preview(
                actor=request.user, fileobj=upload_file.file, source_name=upload_file.name, target=target
            )
        except WorkbookRefused as exc:
            form.add_error(None, f"文件被拒绝：{exc.message}")
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("excel:preview", token=row.token)
    return render(request, "excel/upload.html", {"form": form}, status=400 if form.errors else 200)


def _own_import(request: HttpRequest, token) -> WorkbookImport:
    row = (
        WorkbookImport.objects.select_related("school", "plan", "plan__school", "bureau", "template")
        .filter(token=token, uploaded_by=request.user)
        .exclude(kind=WorkbookImport.Kind.SCORESHEET)  # 评分表 have their own pages (excel.scoresheet_views)
        .first()
    )
    if row is None:
        raise Http404("找不到这次导入。")
    return row


def _shift_date(value: str | None) -> datetime.date | None:
    """The 顺延 date typed on the preview (``shift_to``); DomainError for one that is not a date."""
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("顺延日期的格式不对，请按“2026-03-02”的格式填写。") from None


@login_required
@require_GET
def preview(request: HttpRequest, token) -> HttpResponse:
    row = _own_import(request, token)
    spec = WorkbookSpec.from_json(row.spec)
    problems = sorted(problems_from_json(row.problems), key=lambda p: (not p.is_error, p.sheet, p.row or 0))
    past = services.past_dates(spec) if row.status == WorkbookImport.Status.PREVIEWED else None
    shift_to, shift_days, shift_error = None, 0, ""
    if past is not None:
        try:
            shift_to = _shift_date(request.GET.get("shift_to"))
            if shift_to is not None:
                shift_days = services.import_shift_days(spec, shift_to)
                spec = spec.shifted(shift_days)  # the page shows what the confirmation will write
        except DomainError as exc:
            shift_to, shift_error = None, exc.message
    resolution = None
    if row.status == WorkbookImport.Status.PREVIEWED:
        # Re-resolved on every view: the page shows the leading group as it is now.
        resolution = resolve(spec, services.target_of(row), sha256=row.source_sha256)
    if shift_days and resolution is not None:
        # The file's "已过" warnings describe dates the shift replaces: show the shifted ones' instead.
        problems = [p for p in problems if p.is_error or "已过" not in p.message]
        problems += [p for p in resolution.problems if not p.is_error and "已过" in p.message]
    rows = _structure_rows(spec, resolution)
    return render(
        request,
        "excel/preview.html",
        {
            "row": row,
            "spec": spec,
            "counts": spec.counts(),
            "problems": problems,
            "errors": [p for p in problems if p.is_error],
            "resolution": resolution,
            "rows": rows[:PREVIEW_ROWS],
            "more_rows": max(0, len(rows) - PREVIEW_ROWS),
            "expired": timezone.now() - row.created_at > services.PREVIEW_TTL,
            "past": past,
            "shift_to": shift_to,
            "shift_days": shift_days,
            "shift_error": shift_error,
            "shift_default": request.GET.get("shift_to") or services.default_shift_start().isoformat(),
        },
        status=400 if shift_error else 200,
    )


def _structure_rows(spec: WorkbookSpec, resolution) -> list[dict]:
    """Flat rows for the preview table; with a resolution, who each measure and task will go to."""
    owners = resolution.owners if resolution else {}
    assignees = resolution.assignees if resolution else {}
    rows = []
    for stage in spec.stages:
        rows.append({"kind": "stage", "stage": stage.name, "starts_on": stage.starts_on, "ends_on": stage.ends_on})
        for m in stage.measures:
            rows.append(
                {
                    "kind": "measure",
                    "stage": stage.name,
                    "measure": m.title,
                    "slot": m.slot,
                    "units": "、".join(m.units),
                    "starts_on": m.starts_on,
                    "ends_on": m.ends_on,
                    "weight": m.weight,
                    "row": m.row,
                    "who": owners.get(m.row),
                }
            )
            for t in m.tasks:
                rows.append(
                    {
                        "kind": "task",
                        "stage": stage.name,
                        "measure": m.title,
                        "task": t.title,
                        "slot": t.slot,
                        "starts_on": t.starts_on,
                        "ends_on": t.due_on,
                        "weight": t.weight,
                        "row": t.row,
                        "who": assignees.get(t.row),
                    }
                )
    return rows


@login_required
@require_POST
def confirm(request: HttpRequest, token) -> HttpResponse:
    row = _own_import(request, token)
    shift_value = request.POST.get("shift_to", "")
    try:
        shift_to = _shift_date(shift_value)
        row = services.workbook_import_confirm(actor=request.user, token=row.token, shift_to=shift_to)
    except services.ImportRefused as exc:
        messages.error(request, f"{exc.message}共 {len([p for p in exc.problems if p.is_error])} 个问题，见下表。")
        return redirect("excel:preview", token=row.token)
    except DomainError as exc:
        messages.error(request, exc.message)
        # Back to the page the user confirmed from, with the 顺延 date they chose.
        query = f"?{urlencode({'shift_to': shift_value})}" if shift_value else ""
        return redirect(reverse("excel:preview", kwargs={"token": row.token}) + query)
    if getattr(row, "just_imported", False):
        messages.success(request, f"导入完成：{row.source_name}")
    else:
        messages.info(request, "该文件已经导入过，本次未重复导入。")
    if row.template_id:
        return redirect("excel:template", pk=row.template_id)
    return redirect("plans:plan_detail", pk=row.plan_id)


# --- templates ------------------------------------------------------------------------------------


def _template_for(request: HttpRequest, pk: int) -> PlanTemplate:
    template = get_object_or_404(PlanTemplate.objects.select_related("bureau", "created_by"), pk=pk)
    if not permissions.can_view_template(request.user, template):
        raise Http404("模板不存在或您无权查看。")
    return template


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_for(request, pk)
    form = IssueForm(request.POST or None, user=request.user, template=template)
    previews = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        schools = list(data["schools"])
        args = {
            "actor": request.user,
            "template": template,
            "schools": schools,
            "title": data["title"].strip(),
            "year": data["year"],
        }
        try:
            if request.POST.get("action") == "issue":
                plans = services.template_issue(**args)
                messages.success(request, f"已下发给 {len(plans)} 所学校。")
                return redirect("excel:template", pk=template.pk)
            previews = services.template_issue_preview(**args)
        except services.ImportRefused as exc:
            messages.error(request, exc.message)
            previews = services.template_issue_preview(**args)
        except DomainError as exc:
            messages.warning(request, f"{exc.message}（重复提交已忽略）")
    spec = WorkbookSpec.from_json(template.spec)
    issues = TemplateIssue.objects.filter(template=template).select_related("school", "plan", "issued_by")
    return render(
        request,
        "excel/template_detail.html",
        {
            "template": template,
            "spec": spec,
            "counts": spec.counts(),
            "form": form,
            "previews": previews,
            "issues": issues,
            "can_issue": not any(p.errors for p in previews or []),
        },
    )


# --- exports --------------------------------------------------------------------------------------


def _plan_for_export(request: HttpRequest, pk: int):
    plan = selectors.plan_for(request.user, pk)
    if not permissions.can_export_plan(request.user, plan):
        raise Http404("方案不存在或您无权查看。")
    return plan


def _plan_filename(plan, what: str) -> str:
    return f"{plan.school.name}-{plan.title}-{what}-{_stamp()}.xlsx"


@login_required
@require_GET
def export_plan_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_export(request, pk)
    return _xlsx(exports.plan_workbook(plan), _plan_filename(plan, "方案工作簿"))


@login_required
@require_GET
def export_plan_progress(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_export(request, pk)
    return _xlsx(exports.plan_progress_book(plan), _plan_filename(plan, "进度"))


@login_required
@require_GET
def export_plan_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan_for_export(request, pk)
    return _xlsx(exports.evidence_book(plan), _plan_filename(plan, "佐证材料目录"))


def _require_county(request: HttpRequest) -> None:
    if not permissions.can_export_county(request.user):
        raise PermissionDenied("只有教育局、督导室和中心学校可以导出全县汇总表。")


@login_required
@require_GET
def export_county_summary(request: HttpRequest) -> HttpResponse:
    _require_county(request)
    detail = request.GET.get("detail") == "1"
    book = exports.county_book(request.user, detail=detail)
    name = "汇总及任务明细" if detail else "学校汇总"
    return _xlsx(book, f"{exports.county_name(request.user)}-{name}-{_stamp()}.xlsx")


@login_required
@require_GET
def export_county_indicators(request: HttpRequest) -> HttpResponse:
    _require_county(request)
    return _xlsx(exports.indicator_book(request.user), f"{exports.county_name(request.user)}-指标汇总-{_stamp()}.xlsx")


@login_required
@require_GET
def export_acceptance_results(request: HttpRequest) -> HttpResponse:
    _require_county(request)
    name = f"{exports.county_name(request.user)}-验收结果-{_stamp()}.xlsx"
    return _xlsx(exports.acceptance_results_book(request.user), name)


@login_required
@require_GET
def export_template_workbook(request: HttpRequest, pk: int) -> HttpResponse:
    template = _template_for(request, pk)
    book = exports.spec_workbook(WorkbookSpec.from_json(template.spec))
    return _xlsx(book, f"模板-{template.title}-{template.year}.xlsx")


@login_required
@require_GET
def example(request: HttpRequest) -> HttpResponse:
    return _xlsx(example_workbook(), "实施方案工作簿-示例.xlsx")
