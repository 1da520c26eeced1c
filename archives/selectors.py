"""Reads of the archive: the plan's evidence files (three sources), the numbered tree of volumes,
items and filed files, completeness per item (已齐全 / 部分 / 缺失, missing years of period items)
and summaries for pages of other apps (the acceptance overview, the inspectors' rating board).

Numbers are ranks, computed the same way everywhere (catalogues, zip, page): volumes by
(order, id) within the scheme, items by (order, id) within their volume, files by (order, id)
within their item. A frozen archive's rows no longer change, so neither do its numbers.
"""

from __future__ import annotations

import datetime
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from acceptance.models import RectificationItem
from archives.models import ArchiveCategory, ArchiveScheme, ArchiveVolume, Filing, RequiredItem
from archives.permissions import can_set_template_scheme
from audit.models import AuditCheckpoint
from orgs.models import Organisation
from orgs.permissions import user_bureau
from plans.models import IndicatorReading, Plan, PlanTemplate
from plans.selectors import visible_plans
from tasks.models import Evidence

COMPLETE, PARTIAL, MISSING = "complete", "partial", "missing"
STATUS_LABELS = {COMPLETE: "已齐全", PARTIAL: "部分", MISSING: "缺失"}


# --- the plan's evidence files --------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One evidence file of a plan, whatever row holds it. ``field`` is Filing's foreign key to it."""

    kind: str
    pk: int
    name: str
    storage_name: str
    sha256: str
    uploaded_at: datetime.datetime | None
    context: str

    @property
    def field(self) -> str:
        return {"task": "evidence_id", "reading": "reading_id", "rectification": "rectification_id"}[self.kind]

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.pk)

    @property
    def stem(self) -> str:
        return os.path.splitext(self.name)[0][:200] or self.name[:200]


def _task_files(plan: Plan, pk: int | None = None) -> list[SourceFile]:
    rows = Evidence.objects.filter(task__plan_id=plan.pk)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return [
        SourceFile("task", e["pk"], e["original_name"], e["file"], e["sha256"], e["uploaded_at"], e["task__title"])
        for e in rows.order_by("uploaded_at", "id").values(
            "pk", "original_name", "file", "sha256", "uploaded_at", "task__title"
        )
    ]


def _reading_files(plan: Plan, pk: int | None = None) -> list[SourceFile]:
    rows = IndicatorReading.objects.filter(indicator__plan_id=plan.pk).exclude(evidence="")
    if pk is not None:
        rows = rows.filter(pk=pk)
    return [
        SourceFile(
            "reading", r["pk"], os.path.basename(r["evidence"]), r["evidence"], r["evidence_sha256"], r["created_at"],
            f"{r['indicator__name']}({r['measured_on']:%Y-%m-%d})",
        )
        for r in rows.order_by("created_at", "id").values(
            "pk", "evidence", "evidence_sha256", "created_at", "indicator__name", "measured_on"
        )
    ]


def _rectification_files(plan: Plan, pk: int | None = None) -> list[SourceFile]:
    rows = RectificationItem.objects.filter(plan_id=plan.pk).exclude(evidence="")
    if pk is not None:
        rows = rows.filter(pk=pk)
    return [
        SourceFile(
            "rectification", r["pk"], r["evidence_name"] or os.path.basename(r["evidence"]), r["evidence"],
            r["evidence_sha256"], r["closed_at"], f"整改：{r['criterion__point'][:40]}",
        )
        for r in rows.order_by("id").values(
            "pk", "evidence", "evidence_name", "evidence_sha256", "closed_at", "criterion__point"
        )
    ]


SOURCE_READERS = {"task": _task_files, "reading": _reading_files, "rectification": _rectification_files}


def plan_sources(plan: Plan) -> list[SourceFile]:
    """Every evidence file of the plan: task evidence, indicator evidence, rectification evidence.
    The caller has checked that the user may view the plan."""
    return [f for reader in SOURCE_READERS.values() for f in reader(plan)]


def plan_source(plan: Plan, kind: str, pk: int) -> SourceFile | None:
    """One evidence file of this plan, or None when it does not exist or belongs to another plan."""
    reader = SOURCE_READERS.get(kind)
    if reader is None:
        return None
    found = reader(plan, pk)
    return found[0] if found else None


def unfiled_sources(plan: Plan) -> list[SourceFile]:
    """Evidence files of the plan filed under no item of its archive."""
    filed = set()
    for kind, e, r, x in Filing.objects.filter(plan=plan).values_list("source", "evidence_id", "reading_id",
                                                                        "rectification_id"):
        filed.add((kind, e or r or x))
    return [f for f in plan_sources(plan) if f.key not in filed]


# --- schemes ---------------------------------------------------------------------------------------


def default_scheme() -> ArchiveScheme | None:
    return ArchiveScheme.objects.filter(is_default=True).first()


def effective_scheme(plan: Plan) -> ArchiveScheme | None:
    """The scheme the plan's archive follows: its own copy, else its template's, else the default."""
    own = ArchiveScheme.objects.filter(plan_id=plan.pk).first()
    if own is not None:
        return own
    issued = ArchiveScheme.objects.filter(template__issues__plan_id=plan.pk).first()
    return issued or default_scheme()


def visible_schemes(user: Any) -> list[ArchiveScheme]:
    """The library a bureau user works from: the default and the schemes of the user's bureau
    (plans' copies are reached from their plans)."""
    bureau = user_bureau(user)
    rows = ArchiveScheme.objects.filter(plan__isnull=True).select_related("template", "bureau")
    if getattr(user, "is_superuser", False):
        return list(rows)
    if bureau is None:
        return []
    return [s for s in rows if s.is_default or s.bureau_id == bureau.pk or (s.template and s.template.bureau_id == bureau.pk)]


def templates_without_scheme(user: Any) -> list[PlanTemplate]:
    """The user's bureau's plan templates that have no archive scheme yet and that the user may give
    one (the bureau admin): the choices of 复制到方案模板."""
    bureau = user_bureau(user)
    if bureau is None:
        return []
    rows = PlanTemplate.objects.filter(bureau=bureau, archive_scheme__isnull=True).select_related("bureau")
    return [t for t in rows.order_by("-year", "title", "id") if can_set_template_scheme(user, t)]


def period_years(item: RequiredItem, level: str) -> int:
    """How many school years a period item covers for a school of this 学段 (0: not a period item).
    九年一贯制 and an unknown 学段 take the longer period; 完全中学 the junior one."""
    L = Organisation.Level
    if level == L.PRIMARY:
        return item.primary_years
    if level in (L.JUNIOR, L.COMPLETE):
        return item.junior_years
    return max(item.primary_years, item.junior_years)


def required_years(item: RequiredItem, level: str, plan_year: int) -> list[int]:
    """The calendar years a period item must cover: the last n years up to the plan's year."""
    n = period_years(item, level)
    return list(range(plan_year - n + 1, plan_year + 1)) if n else []


# --- the numbered tree -----------------------------------------------------------------------------


@dataclass
class FiledFile:
    filing: Filing
    no: int
    number: str
    name: str
    storage_name: str
    source_label: str


@dataclass
class ItemRow:
    item: RequiredItem
    no: int
    number: str
    files: list[FiledFile] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    missing_years: list[int] = field(default_factory=list)
    status: str = MISSING

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class VolumeRow:
    volume: ArchiveVolume
    category: ArchiveCategory
    no: int
    items: list[ItemRow] = field(default_factory=list)

    @property
    def file_count(self) -> int:
        return sum(len(i.files) for i in self.items)

    def box_labels(self) -> list[str]:
        """××卷① … for a volume that fills several boxes; the bare title for one box."""
        if self.volume.boxes <= 1:
            return [self.volume.title]
        return [f"{self.volume.title}{_circled(n)}" for n in range(1, self.volume.boxes + 1)]


@dataclass
class ArchiveSummary:
    """Completeness of one plan's archive, for pages of other apps."""

    plan_id: int
    opened: bool
    complete: int = 0
    partial: int = 0
    missing: int = 0
    files: int = 0

    @property
    def total(self) -> int:
        return self.complete + self.partial + self.missing

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0

    @property
    def label(self) -> str:
        return f"已齐全 {self.complete}/{self.total}" if self.total else "无档案方案"


@dataclass
class ArchiveTree:
    plan: Plan
    scheme: ArchiveScheme | None
    opened: bool
    volumes: list[VolumeRow]
    checkpoint: AuditCheckpoint | None = None

    @property
    def items(self) -> list[ItemRow]:
        return [i for v in self.volumes for i in v.items]

    @property
    def file_count(self) -> int:
        return sum(v.file_count for v in self.volumes)

    def summary(self) -> ArchiveSummary:
        s = ArchiveSummary(plan_id=self.plan.pk, opened=self.opened, files=self.file_count)
        for row in self.items:
            setattr(s, row.status, getattr(s, row.status) + 1)
        return s


def _circled(n: int) -> str:
    return chr(0x245F + n) if 1 <= n <= 20 else f"({n})"


def _status(files: int, years: list[int], covered: set[int]) -> tuple[str, list[int]]:
    missing = [y for y in years if y not in covered]
    if not files:
        return MISSING, missing
    return (PARTIAL, missing) if missing else (COMPLETE, [])


def _source_name(f: Filing) -> tuple[str, str]:
    if f.evidence is not None:
        return f.evidence.original_name, f.evidence.file.name or ""
    if f.reading is not None:
        name = f.reading.evidence.name or ""
        return os.path.basename(name), name
    if f.rectification is not None:
        name = f.rectification.evidence.name or ""
        return f.rectification.evidence_name or os.path.basename(name), name
    return "", ""


def archive_tree(plan: Plan, *, with_files: bool = True) -> ArchiveTree:
    """The plan's archive, numbered, with each item's completeness. The caller has checked that the
    user may view the plan. A plan that has not opened its archive is shown against the scheme it
    would follow (every item 缺失). A fixed number of queries whatever the size."""
    scheme = effective_scheme(plan)
    opened = scheme is not None and scheme.plan_id == plan.pk
    if scheme is None:
        return ArchiveTree(plan, None, False, [], latest_checkpoint())
    categories = {c.pk: c for c in scheme.categories.all()}
    volumes = [
        VolumeRow(v, categories[v.category_id], no)
        for no, v in enumerate(
            sorted(scheme.volumes.all(), key=lambda v: (categories[v.category_id].order, v.order, v.pk)), start=1
        )
    ]
    by_volume = {row.volume.pk: row for row in volumes}
    rows: dict[int, ItemRow] = {}
    counters: dict[int, int] = defaultdict(int)
    for item in scheme.items.order_by("order", "id"):
        vrow = by_volume[item.volume_id]
        counters[vrow.volume.pk] += 1
        row = ItemRow(item, counters[vrow.volume.pk], f"{vrow.no}-{counters[vrow.volume.pk]}")
        row.years = required_years(item, plan.school.level, plan.year)
        vrow.items.append(row)
        rows[item.pk] = row
    covered: dict[int, set[int]] = defaultdict(set)
    counts: dict[int, int] = defaultdict(int)
    if opened:
        filings = Filing.objects.filter(plan=plan).order_by("item_id", "order", "id")
        if with_files:
            for f in filings.select_related("evidence", "reading", "rectification"):
                row = rows[f.item_id]
                name, storage = _source_name(f)
                no = len(row.files) + 1
                row.files.append(
                    FiledFile(f, no, f"{row.number}-{no}", name, storage, Filing.Source(f.source).label)
                )
                covered[f.item_id].add(f.document_date.year)
                counts[f.item_id] += 1
        else:
            for item_id, date in filings.values_list("item_id", "document_date"):
                covered[item_id].add(date.year)
                counts[item_id] += 1
    for item_id, row in rows.items():
        row.status, row.missing_years = _status(counts[item_id], row.years, covered[item_id])
    return ArchiveTree(plan, scheme, opened, volumes, latest_checkpoint())


def latest_checkpoint() -> AuditCheckpoint | None:
    """The newest signed checkpoint of the audit chain (audit.chain.checkpoint_make), if any."""
    return AuditCheckpoint.objects.order_by("-seq").first()


# --- for other apps' pages -------------------------------------------------------------------------


def archive_summary(user: Any, plan: Plan) -> ArchiveSummary | None:
    """Completeness of one plan's archive, or None when the user may not see the plan."""
    return archive_summaries(user, [plan.pk]).get(plan.pk)


def archive_summaries(user: Any, plan_ids: Iterable[int]) -> dict[int, ArchiveSummary]:
    """Completeness of many plans' archives in a fixed number of queries (for the acceptance
    overview): plans the user may not see are left out."""
    return plan_summaries(list(visible_plans(user).filter(pk__in=list(plan_ids)).select_related("school")))


def plan_summaries(plans: list[Plan]) -> dict[int, ArchiveSummary]:
    """Completeness of these plans' archives (``school`` loaded), unscoped: for system jobs and for
    callers that scoped the plans already."""
    if not plans:
        return {}
    ids = [p.pk for p in plans]
    own = {s.plan_id: s for s in ArchiveScheme.objects.filter(plan_id__in=ids) if s.plan_id is not None}
    issued = dict(
        ArchiveScheme.objects.filter(template__issues__plan_id__in=ids).values_list("template__issues__plan_id", "pk")
    )
    fallback = default_scheme()
    scheme_of: dict[int, int | None] = {}
    for p in plans:
        scheme = own.get(p.pk)
        scheme_of[p.pk] = scheme.pk if scheme else issued.get(p.pk, fallback.pk if fallback else None)
    items_by_scheme: dict[int, list[RequiredItem]] = defaultdict(list)
    for item in RequiredItem.objects.filter(scheme_id__in={s for s in scheme_of.values() if s}):
        items_by_scheme[item.scheme_id].append(item)
    years: dict[tuple[int, int], set[int]] = defaultdict(set)
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for plan_id, item_id, date in Filing.objects.filter(plan_id__in=list(own)).values_list(
        "plan_id", "item_id", "document_date"
    ):
        years[(plan_id, item_id)].add(date.year)
        counts[(plan_id, item_id)] += 1
    result = {}
    for p in plans:
        summary = ArchiveSummary(plan_id=p.pk, opened=p.pk in own)
        for item in items_by_scheme.get(scheme_of[p.pk] or 0, []):
            key = (p.pk, item.pk)
            status, _ = _status(counts[key], required_years(item, p.school.level, p.year), years[key])
            setattr(summary, status, getattr(summary, status) + 1)
            summary.files += counts[key]
        result[p.pk] = summary
    return result
