"""The demo schools' archives (均衡发展档案): the accepted school's complete, the rectifying one's
partial, so the archive page and the acceptance overview's archive column show real states. Files
go through the real services: each is uploaded as task evidence by the office, then filed."""

from __future__ import annotations

import datetime
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from archives import services as archive_services
from archives.models import RequiredItem
from archives.selectors import required_years
from orgs.models import User
from plans.models import Plan
from tasks import services as task_services
from tasks.models import Task

FONT = "STSong-Light"


def _pdf(title: str, school: str) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    page.setFont(FONT, 16)
    page.drawString(72, 760, title[:40])
    page.setFont(FONT, 11)
    page.drawString(72, 730, f"{school}（演示材料）")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _short(title: str) -> str:
    """An item's title without its parenthesised scope, as a document title begins."""
    return re.split(r"[(（;；]", title, maxsplit=1)[0].strip()[:60] or title[:60]


def _documents(item: RequiredItem, plan: Plan, today: datetime.date, complete: bool) -> list[tuple[str, datetime.date]]:
    """(title, document date) of the files the demo school files under the item."""
    years = required_years(item, plan.school.level, plan.year)
    if not years:
        return [(_short(item.title), today - datetime.timedelta(days=20))]
    if not complete:
        years = years[-2:]  # the rectifying school has gathered only the last two years
    return [(f"{_short(item.title)}（{year} 年）", min(datetime.date(year, 6, 30), today)) for year in years]


def seed_archive(plan: Plan, office: User, today: datetime.date, *, complete: bool) -> int:
    """Open the plan's archive and file documents: every item when ``complete``, else every other
    item with only recent years. Must run while the plan's tasks are open (before acceptance).
    Returns the number of files filed."""
    scheme = archive_services.archive_open(actor=office, plan=plan)
    tasks = list(Task.objects.filter(plan=plan).exclude(status__in=[Task.Status.CLOSED]).order_by("id"))
    items = list(RequiredItem.objects.filter(scheme=scheme).order_by("volume__order", "volume_id", "order", "id"))
    filed = 0
    for n, item in enumerate(items):
        if not complete and n % 2:
            continue
        for title, date in _documents(item, plan, today, complete):
            task = tasks[filed % len(tasks)]
            upload = SimpleUploadedFile(f"{title}.pdf", _pdf(title, plan.school.name), content_type="application/pdf")
            evidence = task_services.evidence_add(task=task, actor=office, upload=upload)
            archive_services.filing_create(
                actor=office, plan=plan, item=item, source="task", source_id=evidence.pk, title=title, document_date=date
            )
            filed += 1
    return filed
