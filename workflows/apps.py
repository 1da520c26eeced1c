from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "流程与阶段"
    # notifications.live: stale gate pages and 我的待办
    live_versions = {"stage": "workflows.live:stage_versions", "inbox": "workflows.live:inbox_versions"}
