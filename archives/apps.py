from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "archives"
    verbose_name = "均衡发展档案"
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
    }
