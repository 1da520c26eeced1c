"""Pages of the inspectors' 评分表 workbook: download, upload (dry run), preview, one-time confirm.
Only the application's inspection team; another county's application answers 404."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from acceptance.models import Application
from acceptance.permissions import can_rate_as_inspector
from core.errors import DomainError
from excel import scoresheet_services as services
from excel.models import WorkbookImport
from excel.safety import MAX_FILE_BYTES, WorkbookRefused
from excel.scoresheet import TIER_HELP, scoresheet_workbook
from excel.services import PREVIEW_TTL
from excel.spec import problems_from_json
from excel.writer import XLSX_CONTENT_TYPE
from plans.selectors import visible_plans


class ScoresheetForm(forms.Form):
    file = forms.FileField(label="已填写的评分表（.xlsx）", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


def _application(request: HttpRequest, pk: int) -> Application:
    application = (
        Application.objects.select_related("plan__school", "team_leader")
        .filter(pk=pk, plan__in=visible_plans(request.user))
        .first()
    )
    if application is None:
        raise Http404("验收申请不存在或您无权查看。")
    if not can_rate_as_inspector(request.user, application):
        raise PermissionDenied("只有本次评估组成员可以使用评分表。")
    return application


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    plan = application.plan
    name = f"{plan.school.name}-第{application.round}轮验收评分表-{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(
        scoresheet_workbook(application, request.user), as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    context = {"application": application, "plan": application.plan, "tier_help": TIER_HELP}
    # Refuse an oversized body before Django spools it to disk.
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FILE_BYTES + 64 * 1024:
        context.update(form=ScoresheetForm(), upload_error="文件超过 10 MB，不像是评分表，已拒绝。")
        return render(request, "excel/scoresheet_upload.html", context, status=400)
    form = ScoresheetForm(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            row = services.scoresheet_preview(
                actor=request.user, application=application, fileobj=upload_file.file, source_name=upload_file.name
            )
        except WorkbookRefused as exc:
            form.add_error(None, f"文件被拒绝：{exc.message}")
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("excel:scoresheet_preview", token=row.token)
    return render(request, "excel/scoresheet_upload.html", context, status=400 if form.errors else 200)


def _own(request: HttpRequest, token: uuid.UUID) -> WorkbookImport:
    row = (
        WorkbookImport.objects.select_related("plan__school")
        .filter(token=token, kind=WorkbookImport.Kind.SCORESHEET, uploaded_by=request.user)
        .first()
    )
    if row is None:
        raise Http404("找不到这次上传。")
    return row


@login_required
@require_GET
def preview(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    row = _own(request, token)
    application = Application.objects.filter(pk=row.spec.get("application")).select_related("plan__school").first()
    if application is None:
        raise Http404("验收申请不存在。")
    problems = sorted(problems_from_json(row.problems), key=lambda p: (not p.is_error, p.row or 0))
    changes = services.changes_of(row)
    return render(
        request,
        "excel/scoresheet_preview.html",
        {
            "row": row,
            "application": application,
            "plan": application.plan,
            "changes": changes,
            "changed": sum(1 for c in changes if not c.unchanged),
            "unchanged": sum(1 for c in changes if c.unchanged),
            "blank": row.spec.get("blank", 0),
            "problems": problems,
            "errors": [p for p in problems if p.is_error],
            "expired": timezone.now() - row.created_at > PREVIEW_TTL,
        },
    )


@login_required
@require_POST
def confirm(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    row = _own(request, token)
    try:
        row = services.scoresheet_confirm(actor=request.user, token=row.token)
    except services.ImportRefused as exc:
        messages.error(request, exc.message)
        return redirect("excel:scoresheet_preview", token=row.token)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("excel:scoresheet_preview", token=row.token)
    if getattr(row, "just_imported", False):
        messages.success(request, f"已保存评分表中的评分：{row.source_name}")
    else:
        messages.info(request, "该评分表已经保存过，本次未重复保存。")
    return redirect("acceptance:inspection", pk=row.spec["application"])
