from django.apps import AppConfig


class ExcelConfig(AppConfig):
    name = "excel"
    verbose_name = "导入导出"
    audit_actions = {
        "excel.roster.imported": "导入学校与人员名单",
        "excel.scoresheet.imported": "上传验收评分表",
    }
