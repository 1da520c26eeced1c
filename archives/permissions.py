"""Permission predicates for the archive (均衡发展档案). Each takes the acting user first and answers
a plain bool; views use them to hide and refuse, services call them again to enforce. State guards
(a frozen archive) live in archives.rules."""

from __future__ import annotations

from typing import Any

from archives.models import ArchiveScheme
from orgs.models import Organisation
from orgs.permissions import can_administer, is_bureau_user, user_bureau
from plans.models import LeadingGroupMember, Plan, PlanTemplate
from plans.permissions import can_view_plan, plan_role

FILING_ROLES = (LeadingGroupMember.Role.LEADER, LeadingGroupMember.Role.OFFICE)


def can_view_archive(user: Any, plan: Plan) -> bool:
    """Whoever may see the plan sees its archive, its catalogues and its zip (the bureau reads)."""
    return can_view_plan(user, plan)


def can_file_archive(user: Any, plan: Plan) -> bool:
    """The plan's leader (组长) and office (办公室主任) file evidence under the archive's items and
    open the archive; members, other staff and overseers do not."""
    return plan_role(user, plan) in FILING_ROLES


def can_view_scheme(user: Any, scheme: ArchiveScheme) -> bool:
    """The shipped default: every bureau user; a bureau's schemes: its users; a plan's: whoever sees
    the plan; a template's: its bureau's users."""
    if scheme.plan_id is not None:
        return can_view_plan(user, scheme.plan)  # type: ignore[arg-type]
    if scheme.is_default:
        return is_bureau_user(user) or bool(getattr(user, "is_superuser", False))
    bureau = _scheme_bureau(scheme)
    return bool(getattr(user, "is_superuser", False)) or (bureau is not None and user_bureau(user) == bureau)


def can_edit_scheme(user: Any, scheme: ArchiveScheme) -> bool:
    """The bureau admin over the scheme's owner edits it; nobody edits the shipped default (copy it)."""
    if scheme.is_default:
        return False
    if scheme.plan_id is not None:
        return can_administer(user, scheme.plan.school)  # type: ignore[union-attr]
    bureau = _scheme_bureau(scheme)
    return bureau is not None and can_administer(user, bureau)


def can_set_plan_scheme(user: Any, plan: Plan) -> bool:
    """The bureau admin over the school chooses (copies) the scheme a plan's archive follows."""
    return can_administer(user, plan.school)


def can_set_template_scheme(user: Any, template: PlanTemplate) -> bool:
    """The bureau admin of the template's bureau chooses the scheme issued with it."""
    return can_administer(user, template.bureau)


def can_copy_scheme_to_bureau(user: Any, bureau: Organisation) -> bool:
    """The bureau admin keeps the bureau's own copies of schemes (to issue with templates and plans)."""
    return can_administer(user, bureau)


def _scheme_bureau(scheme: ArchiveScheme) -> Organisation | None:
    if scheme.template_id is not None:
        return scheme.template.bureau  # type: ignore[union-attr]
    return scheme.bureau
