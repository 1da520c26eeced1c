"""Writes of archive schemes: installing the shipped default, copying a scheme for a bureau, a
template or a plan (建立档案), and editing categories, volumes and items. Each service re-reads
under a lock, asks its permission predicate and state guard, validates, writes the change and its
audit row in one transaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from archives.models import (
    DEFAULT_BOX_LABEL,
    MAX_PERIOD_YEARS,
    ArchiveCategory,
    ArchiveScheme,
    ArchiveVolume,
    Filing,
    RequiredItem,
)
from archives.permissions import (
    can_copy_scheme_to_bureau,
    can_edit_scheme,
    can_file_archive,
    can_set_plan_scheme,
    can_set_template_scheme,
    can_view_scheme,
)
from archives.rules import FROZEN, NOT_OFFICE, archive_frozen
from archives.selectors import effective_scheme
from audit.services import audit_record
from core.errors import DomainError, require
from orgs.models import Organisation
from plans.models import Plan, PlanTemplate

DEFAULT_SCHEME_FILE = Path(__file__).resolve().parent.parent / "data" / "default_scheme.json"


def default_scheme_data() -> dict[str, Any]:
    """The shipped scheme (seed 003, 学校档案建设基本要求) as data: categories → volumes → items."""
    data: dict[str, Any] = json.loads(DEFAULT_SCHEME_FILE.read_text(encoding="utf-8"))
    return data


@transaction.atomic
def default_scheme_install(*, actor: Any = None) -> ArchiveScheme:
    """The shipped default scheme, created from ``default_scheme.json`` if it is missing (idempotent;
    the data migration installs the same rows on a new database)."""
    existing = ArchiveScheme.objects.filter(is_default=True).first()
    if existing is not None:
        return existing
    data = default_scheme_data()
    scheme = ArchiveScheme.objects.create(
        title=data["title"], box_label=data.get("box_label", DEFAULT_BOX_LABEL), is_default=True, created_by=actor
    )
    for c_no, cat in enumerate(data["categories"], start=1):
        category = ArchiveCategory.objects.create(scheme=scheme, order=c_no, title=cat["title"])
        for v_no, vol in enumerate(cat["volumes"], start=1):
            volume = ArchiveVolume.objects.create(
                scheme=scheme, category=category, order=c_no * 10 + v_no, title=vol["title"]
            )
            RequiredItem.objects.bulk_create(
                RequiredItem(
                    scheme=scheme,
                    volume=volume,
                    order=i_no,
                    title=item["title"],
                    note=item.get("note", ""),
                    primary_years=item.get("primary_years", 0),
                    junior_years=item.get("junior_years", 0),
                )
                for i_no, item in enumerate(vol["items"], start=1)
            )
    audit_record(actor=actor, action="archives.scheme.installed", target=scheme, data={"title": scheme.title})
    return scheme


def _copy_into(source: ArchiveScheme, actor: Any, **owner: Any) -> ArchiveScheme:
    copy = ArchiveScheme.objects.create(
        title=owner.pop("title", "") or source.title,
        box_label=source.box_label,
        copied_from=source,
        created_by=actor if getattr(actor, "pk", None) else None,
        **owner,
    )
    categories = {}
    for category in source.categories.all():
        categories[category.pk] = ArchiveCategory.objects.create(scheme=copy, order=category.order, title=category.title)
    volumes = {}
    for volume in source.volumes.all():
        volumes[volume.pk] = ArchiveVolume.objects.create(
            scheme=copy,
            category=categories[volume.category_id],
            order=volume.order,
            title=volume.title,
            boxes=volume.boxes,
        )
    RequiredItem.objects.bulk_create(
        RequiredItem(
            scheme=copy,
            volume=volumes[item.volume_id],
            order=item.order,
            title=item.title,
            note=item.note,
            primary_years=item.primary_years,
            junior_years=item.junior_years,
        )
        for item in source.items.all()
    )
    return copy


@transaction.atomic
def scheme_copy(
    *,
    actor: Any,
    source: ArchiveScheme,
    bureau: Organisation | None = None,
    plan: Plan | None = None,
    template: PlanTemplate | None = None,
    title: str = "",
) -> ArchiveScheme:
    """Copy ``source`` for exactly one owner: the bureau's library, a template, or a plan (the bureau
    admin over it). A plan or template that already has its scheme is refused: edit that one."""
    if sum(x is not None for x in (bureau, plan, template)) != 1:
        raise DomainError("请选择复制到教育局、方案模板或实施方案之一。")
    if actor is not None:
        require(can_view_scheme(actor, source), "您无权查看该档案方案。")
    owner: dict[str, Any] = {"title": title.strip()[:200]}
    if plan is not None:
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if actor is not None:
            require(can_set_plan_scheme(actor, plan), "只有教育局管理员可以为方案指定档案方案。")
        if archive_frozen(plan):
            raise DomainError(FROZEN)
        if ArchiveScheme.objects.filter(plan=plan).exists():
            raise DomainError("该方案已有档案方案，请直接修改它。")
        owner.update(plan=plan, bureau=source.bureau)
    elif template is not None:
        if actor is not None:
            require(can_set_template_scheme(actor, template), "只有教育局管理员可以为模板指定档案方案。")
        if ArchiveScheme.objects.filter(template=template).exists():
            raise DomainError("该模板已有档案方案，请直接修改它。")
        owner.update(template=template, bureau=template.bureau)
    else:
        assert bureau is not None
        if actor is not None:
            require(can_copy_scheme_to_bureau(actor, bureau), "只有教育局管理员可以复制档案方案。")
        owner.update(bureau=bureau)
    copy = _copy_into(source, actor, **owner)
    audit_record(
        actor=actor,
        action="archives.scheme.copied",
        target=copy,
        plan=plan,
        data={"from": source.pk, "title": copy.title},
    )
    return copy


@transaction.atomic
def archive_open(*, actor: Any, plan: Plan) -> ArchiveScheme:
    """Give the plan its own copy of the scheme it follows (the template's, else the default) so
    the office can file: 建立档案. Idempotent: a plan that has its scheme gets it back."""
    plan = Plan.objects.select_for_update(of=("self",)).select_related("school").get(pk=plan.pk)
    if actor is not None:
        require(can_file_archive(actor, plan) or can_set_plan_scheme(actor, plan), NOT_OFFICE)
    if archive_frozen(plan):
        raise DomainError(FROZEN)
    own = ArchiveScheme.objects.filter(plan=plan).first()
    if own is not None:
        return own
    source = effective_scheme(plan) or default_scheme_install()
    copy = _copy_into(source, actor, plan=plan, bureau=source.bureau)
    audit_record(
        actor=actor, action="archives.scheme.copied", target=copy, plan=plan, data={"from": source.pk, "title": copy.title}
    )
    return copy


# --- editing a scheme ---------------------------------------------------------------------------


def _locked_scheme(actor: Any, scheme: ArchiveScheme) -> ArchiveScheme:
    scheme = ArchiveScheme.objects.select_for_update(of=("self",)).select_related("plan", "template").get(pk=scheme.pk)
    if scheme.is_default:
        raise DomainError("系统默认档案方案不能直接修改，请先复制。")
    if actor is not None:
        require(can_edit_scheme(actor, scheme), "只有教育局管理员可以修改档案方案。")
    if scheme.plan is not None and archive_frozen(scheme.plan):
        raise DomainError(FROZEN)
    return scheme


def required_text(raw: str, label: str, limit: int) -> str:
    text = (raw or "").strip()
    if not text:
        raise DomainError(f"请填写{label}。")
    if len(text) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字。")
    return text


def _order(raw: Any) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise DomainError("顺序必须是 1 到 999 之间的整数。") from None
    if not 1 <= value <= 999:
        raise DomainError("顺序必须是 1 到 999 之间的整数。")
    return value


def _years(raw: Any, label: str) -> int:
    try:
        value = int(raw or 0)
    except (TypeError, ValueError):
        raise DomainError(f"{label}必须是 0 到 {MAX_PERIOD_YEARS} 之间的整数。") from None
    if not 0 <= value <= MAX_PERIOD_YEARS:
        raise DomainError(f"{label}必须是 0 到 {MAX_PERIOD_YEARS} 之间的整数（0 表示不按年度）。")
    return value


@transaction.atomic
def scheme_update(*, actor: Any, scheme: ArchiveScheme, title: str, box_label: str) -> ArchiveScheme:
    """Rename a scheme and its box label (档案盒标签)."""
    scheme = _locked_scheme(actor, scheme)
    old = f"{scheme.title} / {scheme.box_label}"
    scheme.title = required_text(title, "档案方案名称", 200)
    scheme.box_label = required_text(box_label, "档案盒标签", 50)
    scheme.save(update_fields=["title", "box_label"])
    audit_record(
        actor=actor, action="archives.scheme.updated", target=scheme, plan=scheme.plan_id, old=old,
        new=f"{scheme.title} / {scheme.box_label}",
    )
    return scheme


@transaction.atomic
def category_save(
    *, actor: Any, scheme: ArchiveScheme, category: ArchiveCategory | None = None, order: Any, title: str
) -> ArchiveCategory:
    """Add a category to the scheme, or rename/reorder one of its categories."""
    scheme = _locked_scheme(actor, scheme)
    if category is not None and category.scheme_id != scheme.pk:
        raise DomainError("该分类不属于此档案方案。")
    row = category or ArchiveCategory(scheme=scheme)
    row.order, row.title = _order(order), required_text(title, "分类名称", 200)
    row.save()
    audit_record(actor=actor, action="archives.category.saved", target=row, plan=scheme.plan_id, new=row.title)
    return row


@transaction.atomic
def volume_save(
    *,
    actor: Any,
    scheme: ArchiveScheme,
    volume: ArchiveVolume | None = None,
    category: ArchiveCategory,
    order: Any,
    title: str,
    boxes: Any = 1,
) -> ArchiveVolume:
    """Add a volume (分卷) under a category of the scheme, or change one."""
    scheme = _locked_scheme(actor, scheme)
    if category.scheme_id != scheme.pk or (volume is not None and volume.scheme_id != scheme.pk):
        raise DomainError("该分卷或分类不属于此档案方案。")
    try:
        box_count = int(boxes)
    except (TypeError, ValueError):
        box_count = 0
    if not 1 <= box_count <= 50:
        raise DomainError("盒数必须是 1 到 50 之间的整数。")
    row = volume or ArchiveVolume(scheme=scheme)
    row.category, row.order, row.title, row.boxes = category, _order(order), required_text(title, "分卷名称", 100), box_count
    row.save()
    audit_record(actor=actor, action="archives.volume.saved", target=row, plan=scheme.plan_id, new=row.title)
    return row


@transaction.atomic
def item_save(
    *,
    actor: Any,
    scheme: ArchiveScheme,
    item: RequiredItem | None = None,
    volume: ArchiveVolume,
    order: Any,
    title: str,
    note: str = "",
    primary_years: Any = 0,
    junior_years: Any = 0,
) -> RequiredItem:
    """Add a required item to a volume of the scheme, or change one (its period by 学段 included)."""
    scheme = _locked_scheme(actor, scheme)
    if volume.scheme_id != scheme.pk or (item is not None and item.scheme_id != scheme.pk):
        raise DomainError("该条目或分卷不属于此档案方案。")
    row = item or RequiredItem(scheme=scheme)
    row.volume, row.order = volume, _order(order)
    row.title, row.note = required_text(title, "条目名称", 500), (note or "").strip()[:500]
    row.primary_years = _years(primary_years, "小学年限")
    row.junior_years = _years(junior_years, "初中年限")
    row.save()
    audit_record(actor=actor, action="archives.item.saved", target=row, plan=scheme.plan_id, new=row.title)
    return row


@transaction.atomic
def item_delete(*, actor: Any, item: RequiredItem) -> None:
    """Remove an item that holds no filed document (a filed item keeps the school's work)."""
    scheme = _locked_scheme(actor, item.scheme)
    if item.scheme_id != scheme.pk:
        raise DomainError("该条目不属于此档案方案。")
    if Filing.objects.filter(item=item).exists():
        raise DomainError("该条目下已有归档文件，请先撤销归档再删除。")
    audit_record(actor=actor, action="archives.item.deleted", target=item, plan=scheme.plan_id, old=item.title)
    item.delete()
