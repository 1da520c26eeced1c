"""Who may import, issue templates and export. Views use these to hide and refuse; the services in
excel.services call them again to enforce.

Import rules (see README):
- a new plan for a school: whoever may create plans there, i.e. a bureau admin of the school's
  bureau (``orgs.permissions.can_administer``), as ``plan_create`` requires;
- measures, tasks, indicators and criteria into an existing plan: its leader, deputies and office
  (``can_manage_plan_tasks``), who run the plan day to day;
- templates: bureau admins, for their own bureau; issuing only to schools under that bureau.
"""

from __future__ import annotations

from typing import Any

from orgs.models import Organisation
from orgs.permissions import can_administer, is_overseer
from orgs.permissions import user_bureau as user_bureau  # re-exported: excel views and services ask it here
from plans.models import Plan, PlanTemplate
from plans.permissions import can_manage_plan_tasks, can_view_plan


def can_import_new_plan(user: Any, school: Organisation) -> bool:
    """A bureau admin over the school (or a superuser) may create a plan there from a workbook."""
    return school.kind == Organisation.Kind.SCHOOL and can_administer(user, school)


def can_import_into_plan(user: Any, plan: Plan) -> bool:
    """Leader, deputy and office of the plan may add a workbook's contents to it."""
    return can_manage_plan_tasks(user, plan)


def can_manage_templates(user: Any) -> bool:
    """Bureau admins keep their bureau's plan templates."""
    return user_bureau(user) is not None and can_administer(user, user_bureau(user))


def can_view_template(user: Any, template: PlanTemplate) -> bool:
    return can_manage_templates(user) and user_bureau(user) == template.bureau


def can_issue_template(user: Any, template: PlanTemplate, school: Organisation) -> bool:
    """Only to schools under the template's bureau, by an admin of that bureau."""
    return (
        can_view_template(user, template)
        and school.kind == Organisation.Kind.SCHOOL
        and template.bureau in school.ancestors()
        and can_administer(user, school)
    )


def can_export_plan(user: Any, plan: Plan) -> bool:
    """Whoever may see the plan may take its tables away."""
    return can_view_plan(user, plan)


def can_export_county(user: Any) -> bool:
    """County-wide tables (summary, indicators across schools) are for overseers; rows are still
    limited to the schools they may see."""
    return is_overseer(user)
