"""The history pages: a plan's full history, a person's history, and every school under an overseer
on one page; their xlsx exports (the same filter, the same readable columns plus the ids); and the
signed audit checkpoints for the bureau to keep."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.views.decorators.http import require_GET

from audit.chain import checkpoint_lines, public_key_text
from audit.labels import action_labels
from audit.models import AuditCheckpoint, AuditEntry
from history import selectors
from history.exports import history_book
from history.sentences import describe, line_html
from orgs.permissions import is_bureau_user, is_overseer
from plans.selectors import plan_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LIMIT = 200_000


def _render(request: HttpRequest, f: selectors.HistoryFilters, entries: QuerySet[AuditEntry],
            context: dict[str, Any], *, county: bool = False) -> HttpResponse:
    rows, next_cursor = ([], None) if f.errors else selectors.page(entries, f.before)
    schools = selectors.school_names({e.plan_id for e in rows if e.plan_id}) if county else None
    params = f.params()
    options = _options(context.pop("choices", None), f)
    context.update(
        {
            "filters": f,
            "lines": [line_html(line, county) for line in describe(rows, schools)],
            "options": options,
            "next_url": "?" + urlencode({**params, "before": next_cursor}) if next_cursor else "",
            "first_url": "?" + urlencode(params) if f.before else "",
            "export_url": "?" + urlencode({**params, "format": "xlsx"}),
            "county": county,
        }
    )
    return render(request, "history/history.html", context, status=400 if f.errors else 200)


def _option_tags(pairs: Any, selected: Any, truncate: int = 0) -> SafeString:
    """``<option>`` tags for a filter's choices, built in Python: a county's hundreds of schools as
    template loop nodes cost more than the page's queries."""
    return format_html_join(
        "", '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", Truncator(label).chars(truncate) if truncate else label)
         for value, label in pairs),
    )


def _options(choices: dict[str, Any] | None, f: selectors.HistoryFilters) -> dict[str, SafeString]:
    options = {"actions": _option_tags(sorted(action_labels().items()), f.action)}
    if choices is None:
        return options
    if "stages" in choices:
        options |= {
            "stages": _option_tags(choices["stages"], f.stage),
            "measures": _option_tags(choices["measures"], f.measure, 24),
            "tasks": _option_tags(choices["tasks"], f.task, 24),
            "people": _option_tags(choices["people"], f.person),
        }
    else:
        options |= {
            "townships": _option_tags(((t, t) for t in choices["townships"]), f.township),
            "schools": _option_tags(choices["schools"], f.school),
        }
    return options


def _export(entries: QuerySet[AuditEntry], name: str, county: bool) -> FileResponse:
    book = history_book(entries.select_related("actor").order_by("seq")[:EXPORT_LIMIT], county=county)
    filename = f"{name}-操作记录-{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(book.save(), as_attachment=True, filename=filename, content_type=XLSX)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def plan_history(request: HttpRequest, pk: int) -> HttpResponse:
    plan = plan_for(request.user, pk)  # 404 for a plan the viewer may not see
    f = selectors.parse_filters(request.GET)
    entries = selectors.plan_entries(plan, f)
    if request.GET.get("format") == "xlsx" and not f.errors:
        return _export(entries, f"{plan.school.name}-{plan.title}", county=False)
    return _render(request, f, entries, {"title": f"{plan.title} · 操作历史", "plan": plan,
                                          "choices": selectors.plan_choices(plan)})


@login_required
@require_GET
def person_history(request: HttpRequest, pk: int) -> HttpResponse:
    person = selectors.person_for(request.user, pk)
    f = selectors.parse_filters(request.GET)
    entries = selectors.person_entries(request.user, person, f)
    if request.GET.get("format") == "xlsx" and not f.errors:
        return _export(entries, str(person), county=True)
    return _render(request, f, entries, {"title": f"{person} · 操作历史", "person": person}, county=True)


@login_required
@require_GET
def county_history(request: HttpRequest) -> HttpResponse:
    if not is_overseer(request.user):
        raise PermissionDenied("全县操作历史仅供教育局、督导室和中心学校查看。")
    f = selectors.parse_filters(request.GET)
    entries = selectors.county_entries(request.user, f)
    if request.GET.get("format") == "xlsx" and not f.errors:
        return _export(entries, "全县", county=True)
    context: dict[str, Any] = {"title": "全县操作历史", "choices": selectors.county_choices(request.user)}
    if is_bureau_user(request.user):
        context["checkpoints"] = list(AuditCheckpoint.objects.order_by("-seq")[:5])
    return _render(request, f, entries, context, county=True)


@login_required
@require_GET
def checkpoints(request: HttpRequest) -> HttpResponse:
    """Every signed checkpoint, one JSON object a line, with the public key: the bureau's copy,
    checked later with ``manage.py verify_audit --checkpoints FILE --public-key KEY``."""
    if not is_bureau_user(request.user):
        raise PermissionDenied("审计检查点仅供教育局和督导室下载。")
    header = f'{{"public_key":"{public_key_text()}"}}\n'
    lines = checkpoint_lines(AuditCheckpoint.objects.order_by("seq").iterator())
    response = StreamingHttpResponse(iter([header, *lines]), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-checkpoints-{timezone.localdate():%Y%m%d}.jsonl"'
    response["Cache-Control"] = "private, no-store"
    return response
