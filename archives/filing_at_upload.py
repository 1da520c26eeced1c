"""归档到 at upload time: the fragment that task, indicator and rectification evidence upload forms
include, and the two steps their views run through ``tasks.extensions`` (registered as
``ArchivesConfig.evidence_filing``; those apps sit below archives and never import it).

Bad input refuses the whole upload with nothing written: ``parse`` checks the item (of this plan's
own archive), the title and the date before the upload view writes anything. Only a refusal that
appears between the two steps (the plan accepted meanwhile) leaves the upload in place unfiled,
with a message saying so: the upload and the filing are two transactions, as the upload stores its
file before it locks its row (core.uploads).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from archives.models import ArchiveScheme, RequiredItem
from archives.rules import filing_refusal
from archives.services.filing import filing_create, valid_document_date
from core.errors import DomainError
from plans.models import Plan

FIELDS = ("archive_item", "archive_title", "archive_date")


@dataclass(frozen=True)
class UploadFiling:
    item: RequiredItem
    title: str
    document_date: datetime.date


def _scheme(plan: Plan) -> ArchiveScheme | None:
    return ArchiveScheme.objects.filter(plan_id=plan.pk).first()


class EvidenceFilingAtUpload:
    """The archive's offer to upload forms (see tasks.extensions for the protocol)."""

    template = "archives/_upload_filing.html"

    def offer(self, user: Any, plan: Plan) -> dict[str, Any] | None:
        """The plan's items, grouped by volume, for a user who may file now; None when the archive is
        not opened, is frozen, or the user may not file (the same check the filing service asks)."""
        if filing_refusal(user, plan) is not None:
            return None
        scheme = _scheme(plan)
        if scheme is None:
            return None
        items = list(
            RequiredItem.objects.filter(scheme=scheme).select_related("volume")
            .order_by("volume__order", "volume_id", "order", "id")
        )
        groups: list[tuple[str, list[RequiredItem]]] = []
        for item in items:
            if not groups or groups[-1][1][0].volume_id != item.volume_id:
                groups.append((f"第 {len(groups) + 1} 卷 {item.volume.title}", []))
            groups[-1][1].append(item)
        return {"groups": groups, "today": timezone.localdate().isoformat()}

    def parse(self, user: Any, plan: Plan, data: Mapping[str, Any]) -> UploadFiling | None:
        """The posted choice, checked; None when no item was chosen."""
        raw = str(data.get("archive_item") or "").strip()
        if not raw:
            return None
        refusal = filing_refusal(user, plan)
        if refusal is not None:
            raise DomainError(refusal)
        item = RequiredItem.objects.filter(pk=int(raw) if raw.isascii() and raw.isdecimal() and len(raw) < 10 else 0, scheme__plan_id=plan.pk).first()
        if item is None:
            raise DomainError("所选档案条目不属于本方案的档案，未上传。请重新选择。")
        title = str(data.get("archive_title") or "").strip()
        if len(title) > 200:
            raise DomainError("文件题名不能超过 200 个字。")
        raw_date = str(data.get("archive_date") or "").strip()
        try:
            date = datetime.date.fromisoformat(raw_date) if raw_date else timezone.localdate()
        except ValueError:
            raise DomainError("请填写有效的成文日期（年-月-日）。") from None
        return UploadFiling(item=item, title=title, document_date=valid_document_date(date))

    def apply(self, user: Any, plan: Plan, choice: UploadFiling, source: str, source_id: int) -> str:
        """File the uploaded file under the chosen item (the filing service checks everything again)."""
        filing_create(
            actor=user, plan=plan, item=choice.item, source=source, source_id=source_id, title=choice.title,
            document_date=choice.document_date,
        )
        return f"已归档到“{choice.item.title[:40]}”。"
