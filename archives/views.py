"""Pages of the archive: the plan's archive (tree, completeness, unfiled files, filing forms), its
catalogues and zip, and the bureau's scheme library and editor. Pages ask archives.rules and
archives.permissions what to offer; the services ask them again to refuse."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from archives import services
from archives.bundle import archive_zip, archive_zip_async, zip_name
from archives.catalogues import FONT, catalogue_pdf, catalogue_xlsx
from archives.models import ArchiveCategory, ArchiveScheme, ArchiveVolume, Filing, RequiredItem
from archives.permissions import (
    can_copy_scheme_to_bureau,
    can_set_plan_scheme,
    can_view_archive,
    can_view_scheme,
)
from archives.rules import archive_frozen, filing_refusal, open_refusal, scheme_edit_refusal
from archives.selectors import (
    archive_tree,
    plan_sources,
    templates_without_scheme,
    unfiled_sources,
    visible_schemes,
)
from core.errors import DomainError
from orgs.permissions import is_bureau_user, user_bureau
from plans.models import Plan, PlanTemplate
from plans.selectors import plan_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _plan(request: HttpRequest, pk: int) -> Plan:
    plan = plan_for(request.user, pk)  # 404 for a plan the user may not see
    if not can_view_archive(request.user, plan):
        raise Http404("方案不存在或您无权查看。")
    return plan


def _run(request: HttpRequest, success: str, action: Callable[..., Any], **kwargs: Any) -> bool:
    try:
        action(actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    except PermissionDenied as exc:
        messages.error(request, getattr(exc, "message", "您没有执行此操作的权限。"))
        return False
    messages.success(request, success)
    return True


def _date(raw: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise DomainError("请填写有效的成文日期（年-月-日）。") from None


def _int(raw: str | None) -> int:
    try:
        return int(raw or "")
    except ValueError:
        raise Http404("参数不正确。") from None


def _attachment(response: HttpResponse | StreamingHttpResponse, name: str) -> None:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"


# --- the plan's archive -----------------------------------------------------------------------


@login_required
def archive_page(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    tree = archive_tree(plan)
    refusal = filing_refusal(request.user, plan)
    can_file = tree.opened and refusal is None
    context = {
        "plan": plan,
        "tree": tree,
        "summary": tree.summary(),
        "frozen": archive_frozen(plan),
        "can_file": can_file,
        "can_open": not tree.opened and open_refusal(request.user, plan) is None,
        "can_set_scheme": not tree.opened and can_set_plan_scheme(request.user, plan) and not archive_frozen(plan),
        "scheme_choices": visible_schemes(request.user) if not tree.opened else [],
        "unfiled": unfiled_sources(plan),
        "sources": plan_sources(plan) if can_file else [],
        "today": timezone.localdate().isoformat(),
        "scheme_editable": tree.opened and tree.scheme is not None
        and scheme_edit_refusal(request.user, tree.scheme) is None,
    }
    return render(request, "archives/archive.html", context)


@login_required
@require_POST
def archive_open(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    _run(request, "档案已建立，可以开始归档。", services.archive_open, plan=plan)
    return redirect("archives:archive", pk=plan.pk)


@login_required
@require_POST
def plan_scheme_set(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    source = _scheme(request, _int(request.POST.get("source")))
    _run(request, "已为该方案指定档案方案。", services.scheme_copy, source=source, plan=plan)
    return redirect("archives:archive", pk=plan.pk)


def _item_of(plan: Plan, raw: str | None) -> RequiredItem:
    item = RequiredItem.objects.select_related("scheme").filter(pk=int(raw) if (raw or "").isascii() and (raw or "").isdecimal() and len(raw) < 10 else 0).first()
    if item is None:
        raise DomainError("请选择档案条目。")
    return item  # the service refuses an item of another scheme with a clear message


@login_required
@require_POST
def filing_create(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    kind, _, source_id = (request.POST.get("source") or "").partition(":")
    try:
        if not (source_id.isascii() and source_id.isdecimal() and len(source_id) < 10):
            raise DomainError("请选择要归档的文件。")
        item = _item_of(plan, request.POST.get("item"))
        date = _date(request.POST.get("document_date"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("archives:archive", pk=plan.pk)
    _run(request, "已归档。", services.filing_create, plan=plan, item=item, source=kind,
         source_id=int(source_id), title=request.POST.get("title", ""), document_date=date)
    return redirect("archives:archive", pk=plan.pk)


def _filing(request: HttpRequest, pk: int, filing_pk: int) -> Filing:
    plan = _plan(request, pk)
    filing = Filing.objects.select_related("plan__school", "item").filter(pk=filing_pk, plan=plan).first()
    if filing is None:
        raise Http404("归档记录不存在。")
    return filing


@login_required
@require_POST
def filing_update(request: HttpRequest, pk: int, filing_pk: int) -> HttpResponse:
    filing = _filing(request, pk, filing_pk)
    try:
        date = _date(request.POST.get("document_date"))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("archives:archive", pk=pk)
    _run(request, "已保存。", services.filing_update, filing=filing, title=request.POST.get("title", ""),
         document_date=date)
    return redirect("archives:archive", pk=pk)


@login_required
@require_POST
def filing_remove(request: HttpRequest, pk: int, filing_pk: int) -> HttpResponse:
    filing = _filing(request, pk, filing_pk)
    _run(request, "已撤销归档（原文件仍在）。", services.filing_remove, filing=filing)
    return redirect("archives:archive", pk=pk)


@login_required
@require_POST
def filing_move(request: HttpRequest, pk: int, filing_pk: int) -> HttpResponse:
    filing = _filing(request, pk, filing_pk)
    _run(request, "已调整顺序。", services.filing_move, filing=filing, direction=request.POST.get("direction", ""))
    return redirect(reverse("archives:archive", args=[pk]) + f"#item-{filing.item_id}")


@login_required
def catalogue_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    plan = _plan(request, pk)
    tree = archive_tree(plan)
    base = f"{plan.school.name}-均衡发展档案目录"
    if fmt == "xlsx":
        response = HttpResponse(catalogue_xlsx(tree), content_type=XLSX)
        _attachment(response, base + ".xlsx")
    elif fmt == "pdf":
        response = HttpResponse(catalogue_pdf(tree), content_type="application/pdf")
        _attachment(response, base + ".pdf")
        response["X-Archive-Font"] = FONT
    else:
        raise Http404("没有这种格式。")
    return response


@login_required
def archive_download(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    plan = _plan(request, pk)
    tree = archive_tree(plan)
    chunks = archive_zip(tree)
    # An ASGI server must get an async iterator, or Django buffers the whole zip (archives.bundle).
    content = archive_zip_async(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type="application/zip")
    _attachment(response, zip_name(tree))
    return response


# --- the bureau's schemes ---------------------------------------------------------------------


def _scheme(request: HttpRequest, pk: int) -> ArchiveScheme:
    scheme = ArchiveScheme.objects.select_related("plan__school", "template", "bureau").filter(pk=pk).first()
    if scheme is None or not can_view_scheme(request.user, scheme):
        raise Http404("档案方案不存在或您无权查看。")
    return scheme


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    if not (is_bureau_user(request.user) or request.user.is_superuser):
        raise Http404("页面不存在。")
    bureau = user_bureau(request.user)
    return render(request, "archives/schemes.html", {
        "schemes": visible_schemes(request.user),
        "can_copy": bureau is not None and can_copy_scheme_to_bureau(request.user, bureau),
    })


@login_required
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    refusal = scheme_edit_refusal(request.user, scheme)
    bureau = user_bureau(request.user)
    return render(request, "archives/scheme.html", {
        "scheme": scheme,
        "categories": list(scheme.categories.all()),
        "volumes": list(scheme.volumes.select_related("category").order_by("category__order", "order", "id")),
        "items": list(scheme.items.select_related("volume").order_by("volume__order", "order", "id")),
        "can_edit": refusal is None,
        "refusal": refusal,
        "can_copy": bureau is not None and can_copy_scheme_to_bureau(request.user, bureau),
        "template_choices": [] if scheme.plan_id else templates_without_scheme(request.user),
    })


def _back(scheme: ArchiveScheme) -> HttpResponse:
    return redirect("archives:scheme", pk=scheme.pk)


@login_required
@require_POST
def scheme_copy(request: HttpRequest, pk: int) -> HttpResponse:
    source = _scheme(request, pk)
    bureau = user_bureau(request.user)
    if bureau is None:
        raise Http404("页面不存在。")
    _run(request, "已复制到本局的档案方案。", services.scheme_copy, source=source, bureau=bureau,
         title=request.POST.get("title", ""))
    return redirect("archives:schemes")


@login_required
@require_POST
def scheme_copy_to_template(request: HttpRequest, pk: int) -> HttpResponse:
    source = _scheme(request, pk)
    raw = request.POST.get("template", "")
    template = PlanTemplate.objects.select_related("bureau").filter(pk=int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 10 else 0).first()
    bureau = user_bureau(request.user)
    if template is None or not (request.user.is_superuser or (bureau is not None and template.bureau_id == bureau.pk)):
        messages.error(request, "请选择本局的方案模板。")
        return _back(source)
    if _run(request, f"已把档案方案复制到模板“{template.title}”，按该模板下发的方案将按它建立档案。",
            services.scheme_copy, source=source, template=template, title=request.POST.get("title", "")):
        copy = ArchiveScheme.objects.filter(template=template).first()
        if copy is not None:
            return _back(copy)
    return _back(source)


@login_required
@require_POST
def scheme_update(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    _run(request, "已保存。", services.scheme_update, scheme=scheme, title=request.POST.get("title", ""),
         box_label=request.POST.get("box_label", ""))
    return _back(scheme)


def _row(model: type[Any], scheme: ArchiveScheme, raw: str | None) -> Any:
    if not raw:
        return None
    row = model.objects.filter(pk=_int(raw), scheme=scheme).first()
    if row is None:
        raise Http404("不属于此档案方案。")
    return row


@login_required
@require_POST
def category_save(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    _run(request, "分类已保存。", services.category_save, scheme=scheme,
         category=_row(ArchiveCategory, scheme, request.POST.get("category")),
         order=request.POST.get("order"), title=request.POST.get("title", ""))
    return _back(scheme)


@login_required
@require_POST
def volume_save(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    category = _row(ArchiveCategory, scheme, request.POST.get("category"))
    if category is None:
        messages.error(request, "请选择分类。")
        return _back(scheme)
    _run(request, "分卷已保存。", services.volume_save, scheme=scheme,
         volume=_row(ArchiveVolume, scheme, request.POST.get("volume")), category=category,
         order=request.POST.get("order"), title=request.POST.get("title", ""), boxes=request.POST.get("boxes"))
    return _back(scheme)


@login_required
@require_POST
def item_save(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    volume = _row(ArchiveVolume, scheme, request.POST.get("volume"))
    if volume is None:
        messages.error(request, "请选择分卷。")
        return _back(scheme)
    _run(request, "条目已保存。", services.item_save, scheme=scheme,
         item=_row(RequiredItem, scheme, request.POST.get("item")), volume=volume,
         order=request.POST.get("order"), title=request.POST.get("title", ""), note=request.POST.get("note", ""),
         primary_years=request.POST.get("primary_years"), junior_years=request.POST.get("junior_years"))
    return _back(scheme)


@login_required
@require_POST
def item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scheme = _scheme(request, pk)
    item = _row(RequiredItem, scheme, request.POST.get("item"))
    if item is None:
        raise Http404("条目不存在。")
    _run(request, "条目已删除。", services.item_delete, item=item)
    return _back(scheme)
