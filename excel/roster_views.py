"""Pages of the roster import: upload → dry-run preview → one-time confirm → the xlsx of initial
passwords, downloaded once (kept only in the admin's session until then).

The dry run is kept in the uploader's session under a one-time token (not in a table: a roster
preview belongs to one sign-in, and the confirmation pops it before writing, so a second
confirmation finds nothing to do). The write re-resolves against the database as it is then. The
confirmation redirects (Post/Redirect/Get) to a page that offers the initial passwords' xlsx for
one download (orgs.handout), so refreshing it neither imports again nor hands the passwords out twice.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from excel import roster
from excel.example_roster import example_roster_workbook
from excel.roster_reader import RosterSpec
from excel.safety import MAX_FILE_BYTES, WorkbookRefused
from excel.spec import problems_from_json, problems_to_json
from excel.writer import XLSX_CONTENT_TYPE
from orgs.handout import handout_peek, handout_put, handout_take
from orgs.models import Organisation
from orgs.permissions import can_administer, user_bureau

SESSION_KEY = "roster_imports"
PREVIEW_TTL_S = 24 * 3600


class RosterUploadForm(forms.Form):
    file = forms.FileField(label="名单工作簿（.xlsx）")


def _bureau(request: HttpRequest) -> Organisation:
    bureau = user_bureau(request.user)
    if bureau is None or not can_administer(request.user, bureau):
        raise Http404
    return bureau


def _stored(request: HttpRequest, token: str) -> dict[str, Any]:
    entry = request.session.get(SESSION_KEY, {}).get(str(token))
    if entry is None or time.time() - entry["created"] > PREVIEW_TTL_S:
        raise Http404("找不到这次导入（可能已确认或已过期），请重新上传。")
    return entry


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload(request: HttpRequest) -> HttpResponse:
    bureau = _bureau(request)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_FILE_BYTES:
                raise WorkbookRefused("文件超过 10 MB，请拆分后再导入。")
            read, digest = roster.roster_read(upload)
        except WorkbookRefused as exc:
            form.add_error("file", f"文件被拒绝：{exc.message}")
        else:
            token = str(uuid.uuid4())
            imports = {
                k: v
                for k, v in request.session.get(SESSION_KEY, {}).items()
                if time.time() - v["created"] < PREVIEW_TTL_S
            }
            imports[token] = {
                "bureau": bureau.pk,
                "name": upload.name[:200],
                "sha256": digest,
                "spec": read.spec.to_json(),
                "problems": problems_to_json(read.problems),
                "created": time.time(),
            }
            request.session[SESSION_KEY] = imports
            return redirect("excel:roster_preview", token=token)
    return render(request, "excel/roster_upload.html", {"form": form, "bureau": bureau})


def _resolution(bureau: Organisation, entry: dict[str, Any]):
    problems = problems_from_json(entry["problems"])
    if any(p.is_error for p in problems):
        return None, problems
    resolution = roster.resolve_roster(RosterSpec.from_json(entry["spec"]), bureau)
    return resolution, problems + resolution.problems


@login_required
def roster_preview(request: HttpRequest, token: str) -> HttpResponse:
    bureau = _bureau(request)
    entry = _stored(request, token)
    resolution, problems = _resolution(bureau, entry)
    problems.sort(key=lambda p: (not p.is_error, p.sheet, p.row or 0))
    return render(
        request,
        "excel/roster_preview.html",
        {
            "token": token,
            "entry": entry,
            "resolution": resolution,
            "counts": resolution.counts() if resolution else {},
            "problems": problems,
            "errors": [p for p in problems if p.is_error],
        },
    )


@login_required
@require_POST
def roster_confirm(request: HttpRequest, token: str) -> HttpResponse:
    bureau = _bureau(request)
    entry = _stored(request, token)
    resolution, problems = _resolution(bureau, entry)
    if resolution is None or resolution.errors:
        messages.error(request, "名单有错误，未写入任何数据，见下表。")
        return redirect("excel:roster_preview", token=token)
    # One time: the token goes before the write, so a repeated confirmation finds nothing.
    imports = request.session.get(SESSION_KEY, {})
    imports.pop(str(token), None)
    request.session[SESSION_KEY] = imports
    request.session.save()
    try:
        passwords = roster.roster_write(actor=request.user, resolution=resolution)
    except DomainError as exc:
        messages.error(request, f"导入失败，未写入任何数据：{exc.message}")
        return redirect("excel:roster_upload")
    if not passwords:
        messages.success(request, "名单已导入；没有新账号，无需分发初始密码。")
        return redirect("orgs:index")
    # Post/Redirect/Get: the passwords wait in this sign-in's session for one download; a refresh of
    # the page below never writes again, and once downloaded they are gone.
    handout = handout_put(request, {"kind": "roster", "rows": [list(row) for row in passwords]})
    return redirect("excel:roster_done", token=handout)


@login_required
@require_GET
def roster_done(request: HttpRequest, token: str) -> HttpResponse:
    """After the import: how many accounts were made, and their passwords' xlsx while not taken."""
    _bureau(request)
    payload = handout_peek(request, token)
    response = render(
        request,
        "excel/roster_done.html",
        {"token": token, "people": len(payload["rows"]) if payload and payload.get("kind") == "roster" else None},
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def roster_passwords(request: HttpRequest, token: str) -> HttpResponse:
    """The initial passwords as xlsx, once: taking them removes them from the session."""
    _bureau(request)
    payload = handout_take(request, token)
    if payload is None or payload.get("kind") != "roster":
        messages.error(request, "初始密码表已下载过（或已过期），不再提供。如需分发，请为相应账号重置密码。")
        return redirect("excel:roster_done", token=token)
    book = roster.passwords_workbook([tuple(row) for row in payload["rows"]])
    filename = f"初始密码-{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(book.save(), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def roster_example(request: HttpRequest) -> HttpResponse:
    _bureau(request)
    return FileResponse(
        example_roster_workbook().save(), as_attachment=True, filename="名单示例.xlsx", content_type=XLSX_CONTENT_TYPE
    )
