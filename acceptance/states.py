"""The name a plan's state goes by wherever a plan is shown (home, school and plan pages, the
acceptance page, exports): 实施中, 验收中, 公示中, 整改中, 已验收, the words of the bureau's
acceptance overview (acceptance.overview.STATES).

``Plan.status`` knows every state but one: a plan whose 合格 result is in its public notice is
still 验收中 for the state machine (the notice ends with acceptance_finalise), and reads 公示中.
Callers fetch the plans through plans.selectors.visible_plans first; these functions only read
the applications of the plans they are given.
"""

from __future__ import annotations

from collections.abc import Iterable

from acceptance.models import Application
from plans.models import Plan

NOTICE_LABEL = "公示中"


def plan_state_label(plan: Plan, application_status: str | None = None) -> str:
    """The plan's state name, given the status of its latest application (if known)."""
    if plan.status == Plan.Status.ACCEPTANCE and application_status == Application.Status.NOTICE:
        return NOTICE_LABEL
    return str(Plan.Status(plan.status).label)


def label_plans(plans: Iterable[Plan]) -> None:
    """Set ``state_label`` on each plan (templates show it as the plan's badge). One query when
    some plan is 验收中 (is its notice running?), none otherwise, whatever the number of plans."""
    plans = list(plans)
    in_acceptance = [p.pk for p in plans if p.status == Plan.Status.ACCEPTANCE]
    notice: set[int] = set()
    if in_acceptance:
        notice = set(
            Application.objects.filter(plan_id__in=in_acceptance, status=Application.Status.NOTICE).values_list(
                "plan_id", flat=True
            )
        )
    for plan in plans:
        status = Application.Status.NOTICE if plan.pk in notice else None
        plan.state_label = plan_state_label(plan, status)  # type: ignore[attr-defined]
