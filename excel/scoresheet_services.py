"""Writes for the inspectors' 评分表 workbook: the dry run kept under a one-time token, and the
confirmed write of every rating in one transaction through acceptance's inspector rating service
(so its permission, state, not-applicable and audit rules hold for each row), or of none.

The order is the plan import's: check and parse the file outside any transaction, check every row
with the rating service's own check (acceptance.services.inspection.inspector_rating_check), keep
the result (excel.models.WorkbookImport, kind 评分表); on confirmation lock that row, then write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from acceptance.models import AcceptanceCriterion, Application, InspectorRating
from acceptance.permissions import can_rate_as_inspector
from acceptance.services.inspection import inspector_rating_check, inspector_rating_set
from audit.services import audit_record
from core.errors import DomainError, require
from excel.models import WorkbookImport
from excel.scoresheet import SHEET, TIER_COLUMN, ReadSheet, read_scoresheet
from excel.services import PREVIEW_TTL, ImportRefused, sha256_of
from excel.spec import Problem, problems_from_json, problems_to_json
from orgs.models import User

KIND = WorkbookImport.Kind.SCORESHEET


class ScoresheetRefused(DomainError):
    """The whole workbook is refused (another plan or round, a round no longer rated); nothing is kept."""


@dataclass(frozen=True)
class Change:
    """One row of a previewed 评分表, as stored in the import's ``spec``."""

    row: int
    criterion: int
    order: int
    point: str
    tier: int
    remark: str
    version: int  # of the inspector's rating at the dry run: a change since then refuses the write
    old_tier: int | None
    old_remark: str

    @property
    def unchanged(self) -> bool:
        return self.old_tier == self.tier and self.old_remark == self.remark

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def changes_of(row: WorkbookImport) -> list[Change]:
    return [Change(**item) for item in row.spec.get("rows", [])]


def _refuse_foreign(read: ReadSheet, application: Application) -> None:
    identity = read.identity
    if identity.plan_id != application.plan_id:
        raise ScoresheetRefused("这是另一份方案的评分表，不能上传到本次验收。请在本次验收的评分页面下载评分表后填写。")
    if identity.application_id != application.pk:
        raise ScoresheetRefused(
            f"这是第 {identity.round} 轮验收的评分表，本次是第 {application.round} 轮。请重新下载本轮评分表后填写。"
        )


def _refuse_closed(application: Application) -> None:
    if application.status != Application.Status.INSPECTING:
        shown = Application.Status(application.status).label
        raise ScoresheetRefused(f"本轮验收当前为“{shown}”（结论已记录或尚未开始评分），不能再上传评分。")


def scoresheet_preview(*, actor: User, application: Application, fileobj: BinaryIO, source_name: str) -> WorkbookImport:
    """Dry run of an uploaded 评分表: what would be saved, and every problem by row and column.

    Raises WorkbookRefused (hostile or not one of our 评分表) or ScoresheetRefused (another plan or
    round, a round no longer rated) and keeps nothing; otherwise keeps a row, ``previewed`` when it
    may be confirmed, ``failed`` with its problems. Writes no rating."""
    require(can_rate_as_inspector(actor, application), "只有本次评估组成员可以上传评分表。")
    _refuse_closed(application)
    read = read_scoresheet(fileobj)
    digest = sha256_of(fileobj)
    _refuse_foreign(read, application)
    problems = list(read.problems)
    if read.identity.inspector_id != actor.pk:
        problems.append(Problem(SHEET, None, "", "这份评分表是为另一位评估员导出的；确认后评分将记在您的名下。", "warning"))
    changes = _checked_changes(actor, application, read, problems)
    if not changes and not any(p.is_error for p in problems):
        problems.append(Problem(SHEET, None, TIER_COLUMN, "评分表中没有填写任何评定档次。"))
    failed = any(p.is_error for p in problems)
    return WorkbookImport.objects.create(
        token=uuid.uuid4(),
        kind=KIND,
        status=WorkbookImport.Status.FAILED if failed else WorkbookImport.Status.PREVIEWED,
        uploaded_by=actor,
        school=application.plan.school,
        plan=application.plan,
        title=f"第{application.round}轮验收评分表",
        source_name=source_name[:200],
        source_sha256=digest,
        spec={"application": application.pk, "blank": read.blank, "rows": [c.to_json() for c in changes]},
        problems=problems_to_json(problems),
    )


def _checked_changes(actor: User, application: Application, read: ReadSheet, problems: list[Problem]) -> list[Change]:
    """Each filled-in row through the rating service's own check; the inspector's current rating
    and its version are kept for the preview and the stale check at confirmation."""
    criteria = {c.pk: c for c in AcceptanceCriterion.objects.filter(plan_id=application.plan_id).select_related("self_rating")}
    mine = {r.criterion_id: r for r in InspectorRating.objects.filter(application=application, inspector=actor)}
    changes = []
    for item in read.rows:
        criterion = criteria.get(item.criterion_id)
        if criterion is None:
            problems.append(Problem(SHEET, item.row, "要点编号", f"要点编号 {item.criterion_id} 不在本次验收的评估表上。"))
            continue
        try:
            inspector_rating_check(actor=actor, application=application, criterion=criterion, tier=item.tier)
        except (DomainError, PermissionDenied) as exc:
            problems.append(Problem(SHEET, item.row, TIER_COLUMN, getattr(exc, "message", str(exc))))
            continue
        current = mine.get(criterion.pk)
        changes.append(
            Change(
                row=item.row,
                criterion=criterion.pk,
                order=criterion.order,
                point=criterion.point[:200],
                tier=item.tier,
                remark=item.remark,
                version=current.version if current else 0,
                old_tier=current.tier if current else None,
                old_remark=current.remark if current else "",
            )
        )
    return changes


def _own(actor: User, token: uuid.UUID | str) -> WorkbookImport:
    row = WorkbookImport.objects.filter(token=token, kind=KIND, uploaded_by=actor).first()
    if row is None:
        raise DomainError("找不到这次上传（可能已过期），请重新上传评分表。")
    return row


def scoresheet_confirm(*, actor: User, token: uuid.UUID | str) -> WorkbookImport:
    """Write a previewed 评分表: every changed rating through ``inspector_rating_set`` (its lock,
    check, audit row) in one transaction, or none. Idempotent: a second confirmation (a double
    click, a refresh) finds the row imported and writes nothing. A rating changed since the dry
    run, a round closed meanwhile, a claim not yet decided: ImportRefused naming the row, nothing
    written, and the import is marked failed."""
    row = _own(actor, token)
    if row.status == WorkbookImport.Status.IMPORTED:
        return row
    if row.status == WorkbookImport.Status.FAILED:
        raise ImportRefused(problems_from_json(row.problems), "评分表未通过校验，未写入任何评分。")
    if timezone.now() - row.created_at > PREVIEW_TTL:
        raise DomainError("预览已超过 24 小时，请重新上传评分表。")
    application = Application.objects.select_related("plan").filter(pk=row.spec.get("application")).first()
    if application is None:
        raise DomainError("该评分表对应的验收申请已不存在，未写入任何评分。")
    require(can_rate_as_inspector(actor, application), "只有本次评估组成员可以上传评分表。")
    try:
        return _write(actor, row, application)
    except ScoresheetRefused as exc:
        problems = [Problem(SHEET, None, "", exc.message)]
    except ImportRefused as exc:
        problems = exc.problems
    WorkbookImport.objects.filter(pk=row.pk, status=WorkbookImport.Status.PREVIEWED).update(
        status=WorkbookImport.Status.FAILED, problems=problems_to_json(problems_from_json(row.problems) + problems)
    )
    raise ImportRefused(problems, "评分表未能保存，未写入任何评分。")


@transaction.atomic
def _write(actor: User, row: WorkbookImport, application: Application) -> WorkbookImport:
    # The row lock makes a concurrent second confirmation wait, then see "imported".
    locked = WorkbookImport.objects.select_for_update().get(pk=row.pk)
    if locked.status != WorkbookImport.Status.PREVIEWED:
        return locked
    application.refresh_from_db(fields=["status"])  # a result recorded since the dry run (re-checked under lock by the service)
    _refuse_closed(application)
    written = 0
    for change in changes_of(locked):
        if change.unchanged:
            continue
        try:
            inspector_rating_set(
                actor=actor,
                application=application.pk,
                criterion=change.criterion,
                tier=change.tier,
                remark=change.remark,
                version=change.version,
            )
        except DomainError as exc:
            # Raised out of the atomic block: every rating written before this row is rolled back.
            raise ImportRefused([Problem(SHEET, change.row, TIER_COLUMN, exc.message)]) from exc
        written += 1
    audit_record(
        actor=actor,
        action="excel.scoresheet.imported",
        target=application,
        plan=application.plan_id,
        data={"source": locked.source_name, "sha256": locked.source_sha256, "ratings": written},
    )
    locked.status = WorkbookImport.Status.IMPORTED
    locked.finished_at = timezone.now()
    locked.save(update_fields=["status", "finished_at"])
    locked.just_imported = True
    return locked
