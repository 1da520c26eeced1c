"""When an archive action is allowed: permission (archives.permissions) plus state. Pages ask these
to show or hide a form; services ask them again to refuse. Each answer is None (allowed) or the
Chinese reason shown to the user."""

from __future__ import annotations

from typing import Any

from archives.models import ArchiveScheme
from archives.permissions import can_edit_scheme, can_file_archive, can_set_plan_scheme
from plans.models import Plan

FROZEN = "方案已通过评估验收，档案已随方案冻结：不能再归档、调整件号或修改档案方案。"
NOT_OFFICE = "只有领导小组组长和办公室主任可以整理本校档案。"


def archive_frozen(plan: Plan) -> bool:
    """An accepted plan (验收合格 → 已完成) freezes its archive: filings, numbers and its scheme."""
    return plan.status == Plan.Status.COMPLETED


def filing_refusal(user: Any, plan: Plan) -> str | None:
    """May the user file, retitle or remove files in the plan's archive now?"""
    if not can_file_archive(user, plan):
        return NOT_OFFICE
    if archive_frozen(plan):
        return FROZEN
    return None


def open_refusal(user: Any, plan: Plan) -> str | None:
    """May the user give the plan its own copy of the scheme (建立档案)? Office/组长 or the bureau admin."""
    if not (can_file_archive(user, plan) or can_set_plan_scheme(user, plan)):
        return NOT_OFFICE
    if archive_frozen(plan):
        return FROZEN
    return None


def scheme_edit_refusal(user: Any, scheme: ArchiveScheme) -> str | None:
    """May the user change the scheme's categories, volumes and items?"""
    if scheme.is_default:
        return "系统默认档案方案不能直接修改，请先复制。"
    if not can_edit_scheme(user, scheme):
        return "只有教育局管理员可以修改档案方案。"
    if scheme.plan_id is not None and archive_frozen(scheme.plan):  # type: ignore[arg-type]
        return FROZEN
    return None
