from typing import Any

from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    """Besides its labels, the app offers lower apps (acceptance's overview and rating board) a
    badge of each plan's archive completeness through the app registry, as audit reads
    ``audit_actions``: ``plan_badge`` = (template to include, ``summaries(user, plan_ids)`` giving
    ``{plan_id: ArchiveSummary}`` for plans the user may see, ``scoped(plans)`` the same for plans
    the caller has already found the user may see). Lower apps look it up with
    ``getattr(app_config, "plan_badge", None)`` and never import ``archives``."""

    name = "archives"
    verbose_name = "均衡发展档案"
    plan_badge: tuple[str, Any] | None = None
    # 归档到 on the evidence upload forms of tasks, dashboards and acceptance (tasks.extensions).
    evidence_filing: Any = None
    # Run by tasks.deadlines.scan_deadlines (the serve loop), like acceptance's deadline sources.
    deadline_sources = ("archives.reminders.archive_gap_deadlines",)

    def ready(self) -> None:
        from archives.filing_at_upload import EvidenceFilingAtUpload
        from archives.selectors import archive_summaries, plan_summaries

        self.evidence_filing = EvidenceFilingAtUpload()
        self.plan_badge = ("archives/_completeness.html", archive_summaries, plan_summaries)
    audit_actions = {
        "archives.scheme.installed": "安装默认档案方案",
        "archives.scheme.copied": "复制档案方案",
        "archives.scheme.updated": "修改档案方案",
        "archives.category.saved": "保存档案分类",
        "archives.volume.saved": "保存档案分卷",
        "archives.item.saved": "保存档案条目",
        "archives.item.deleted": "删除档案条目",
        "archives.filing.created": "归档文件",
        "archives.filing.updated": "修改归档信息",
        "archives.filing.removed": "撤销归档",
        "archives.filing.moved": "调整归档文件顺序",
        "archives.gaps.reminded": "提醒补齐档案",
    }
