"""Labels of the audit actions written by plans.excel, added to the one registry in plans.audit so
the history page and the history export read alike. (They belong in plans.audit.ACTION_LABELS
itself; that module is owned elsewhere, so they are registered from here on import.)"""

from plans.audit import ACTION_LABELS

EXCEL_ACTION_LABELS = {
    "plans.plan.imported": "从 Excel 导入方案",
    "plans.criterion.created": "新增评估要点",
    "plans.template.created": "导入方案模板",
    "plans.template.issued": "下发方案模板",
}

for _action, _label in EXCEL_ACTION_LABELS.items():
    ACTION_LABELS.setdefault(_action, _label)
