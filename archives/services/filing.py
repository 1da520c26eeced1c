"""Writes of filings: putting one of the plan's evidence files under a required item of the plan's
own scheme, retitling it, taking it out. Refused once the plan is accepted (archives.rules)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from archives.models import Filing, RequiredItem
from archives.permissions import can_file_archive
from archives.rules import FROZEN, NOT_OFFICE, archive_frozen
from archives.selectors import SourceFile, plan_source
from archives.services.schemes import required_text
from audit.services import audit_record
from core.errors import DomainError, require
from plans.models import Plan


def _locked_plan(actor: Any, plan: Plan) -> Plan:
    # The plan row is locked: acceptance moves the plan under the same lock, so no filing slips in
    # after the plan was accepted, and item positions (件号) are allocated one at a time.
    plan = Plan.objects.select_for_update(of=("self",)).select_related("school").get(pk=plan.pk)
    if actor is not None:
        require(can_file_archive(actor, plan), NOT_OFFICE)
    if archive_frozen(plan):
        raise DomainError(FROZEN)
    return plan


def valid_document_date(value: datetime.date | None) -> datetime.date:
    if value is None:
        raise DomainError("请填写文件的成文日期。")
    if value > timezone.localdate():
        raise DomainError("成文日期不能晚于今天。")
    if value.year < 1950:
        raise DomainError("成文日期不正确。")
    return value


@transaction.atomic
def filing_create(
    *,
    actor: Any,
    plan: Plan,
    item: RequiredItem,
    source: str,
    source_id: int,
    title: str = "",
    document_date: datetime.date | None,
) -> Filing:
    """File one evidence file of the plan under a required item of the plan's own scheme, at the end
    of the item (件号 = last + 1). The file is not copied: the filing points at its source row."""
    plan = _locked_plan(actor, plan)
    if item.scheme.plan_id != plan.pk:
        raise DomainError("该条目不属于本方案的档案方案。")
    found: SourceFile | None = plan_source(plan, source, source_id)
    if found is None:
        raise DomainError("文件不存在或不属于本方案。")
    date = valid_document_date(document_date)
    text = (title or "").strip() or found.stem
    if len(text) > 200:
        raise DomainError("文件题名不能超过 200 个字。")
    if Filing.objects.filter(item=item, **{found.field: source_id}).exists():
        raise DomainError("该文件已归入此条目。")
    last = Filing.objects.filter(item=item).aggregate(m=Max("order"))["m"] or 0
    filing = Filing.objects.create(
        plan=plan,
        item=item,
        source=found.kind,
        order=last + 1,
        title=text,
        document_date=date,
        sha256=found.sha256,
        filed_by=actor if getattr(actor, "pk", None) else None,
        **{found.field: source_id},
    )
    audit_record(
        actor=actor,
        action="archives.filing.created",
        target=filing,
        plan=plan,
        data={"item": item.pk, "item_title": item.title, "source": found.kind, "source_id": source_id, "title": text, "date": date.isoformat()},
    )
    return filing


def _locked_filing(actor: Any, filing: Filing) -> Filing:
    plan = _locked_plan(actor, filing.plan)
    locked = Filing.objects.filter(pk=filing.pk, plan=plan).select_related("item").first()
    if locked is None:
        raise DomainError("该归档记录已被撤销。")
    return locked


@transaction.atomic
def filing_update(*, actor: Any, filing: Filing, title: str, document_date: datetime.date | None) -> Filing:
    """Change a filing's title and document date (its件号 stays)."""
    filing = _locked_filing(actor, filing)
    old = f"{filing.title} {filing.document_date.isoformat()}"
    filing.title = required_text(title, "文件题名", 200)
    filing.document_date = valid_document_date(document_date)
    filing.save(update_fields=["title", "document_date"])
    audit_record(
        actor=actor, action="archives.filing.updated", target=filing, plan=filing.plan_id, old=old,
        new=f"{filing.title} {filing.document_date.isoformat()}",
    )
    return filing


@transaction.atomic
def filing_remove(*, actor: Any, filing: Filing) -> None:
    """Take a file out of an item (the source file stays). Later files keep their件号 until the
    catalogue is printed: numbers are ranks of ``order``, so no gap shows."""
    filing = _locked_filing(actor, filing)
    audit_record(
        actor=actor, action="archives.filing.removed", target=filing, plan=filing.plan_id, old=filing.title,
        data={"item": filing.item_id},
    )
    filing.delete()


MOVES = {"up": -1, "down": 1}


@transaction.atomic
def filing_move(*, actor: Any, filing: Filing, direction: str) -> Filing:
    """Move a file one place up or down within its item (卷内文件目录 order). The item's files are
    renumbered 1..n in their new order (closing gaps left by removals). Refused once frozen (the
    accepted catalogue's numbers never change)."""
    filing = _locked_filing(actor, filing)
    step = MOVES.get(direction)
    if step is None:
        raise DomainError("请选择上移或下移。")
    rows = list(Filing.objects.filter(item_id=filing.item_id).order_by("order", "id"))
    at = next(i for i, row in enumerate(rows) if row.pk == filing.pk)
    to = at + step
    if not 0 <= to < len(rows):
        raise DomainError("已是本条目的第一件。" if step < 0 else "已是本条目的最后一件。")
    rows[at], rows[to] = rows[to], rows[at]
    changed = [(number, row) for number, row in enumerate(rows, start=1) if row.order != number]
    # (item, order) is unique and checked row by row: park the moving rows on free numbers first.
    parked = max(row.order for row in rows) + 1
    for offset, (_, row) in enumerate(changed):
        row.order = parked + offset
    Filing.objects.bulk_update([row for _, row in changed], ["order"])
    for number, row in changed:
        row.order = number
    Filing.objects.bulk_update([row for _, row in changed], ["order"])
    audit_record(
        actor=actor, action="archives.filing.moved", target=filing, plan=filing.plan_id, old=str(at + 1),
        new=str(to + 1), data={"item": filing.item_id, "title": filing.title},
    )
    return rows[to]
