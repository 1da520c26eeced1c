from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "任务"
    live_versions = {"task": "tasks.live:task_versions"}  # notifications.live: stale task pages
    audit_actions = {
        "tasks.task.created": "新增任务",
        "tasks.task.updated": "修改任务",
        "tasks.task.assigned": "分派任务",
        "tasks.task.reassigned": "改派任务",
        "tasks.task.started": "开始办理",
        "tasks.task.submitted": "提交审核",
        "tasks.task.closed": "审核通过",
        "tasks.task.returned": "退回任务",
        "tasks.task.reopened": "重新打开",
        "tasks.task.waived": "豁免任务",
        "tasks.task.cancelled": "取消任务",
        "tasks.task.nudged": "催办",
        "tasks.evidence.added": "上传佐证材料",
        "tasks.comment.added": "发表评论",
        "tasks.comment.withdrawn": "撤回评论",
    }
