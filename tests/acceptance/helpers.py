"""Set-up for acceptance tests: a plan with a form, brought to the edge of its application."""

from __future__ import annotations

from decimal import Decimal

from acceptance.services import criterion_create, self_rating_set
from tasks import services as task_services
from tests.workflow_helpers import pdf
from workflows.services import stage_complete


def add_form(plan, n: int = 4, max_score: str = "25"):
    return [
        criterion_create(actor=None, plan=plan, category="办学条件", point=f"评估要点{i + 1}", max_score=Decimal(max_score))
        for i in range(n)
    ]


def rate_all(school, criteria, tier: int = 1):
    for criterion in criteria:
        self_rating_set(actor=school.office, criterion=criterion, tier=tier, note="达到")


def finish_all_stages(school):
    """Close every task and sign the gates up to (not including) the acceptance stage."""
    for task, who in ((school.tasks[0], school.member), (school.tasks[1], school.member2)):
        task_services.task_submit(task=task, actor=who, files=[pdf()])
        task_services.task_close(task=task, actor=school.office)
    task_services.task_waive(task=school.tasks[2], actor=school.leader, reason="已统一印发")
    stage_complete(stage=school.plan.stages.get(order=1), actor=school.leader)
    task_services.task_waive(task=school.tasks[3], actor=school.leader, reason="不适用")
    stage_complete(stage=school.plan.stages.get(order=2), actor=school.leader)


def ready_to_apply(school, tier: int = 1):
    criteria = add_form(school.plan)
    rate_all(school, criteria, tier)
    finish_all_stages(school)
    return criteria


def applied(school, tier: int = 1):
    from acceptance.services import application_submit

    criteria = ready_to_apply(school, tier)
    return criteria, application_submit(actor=school.leader, plan=school.plan, note="申请验收")


def accepted(county, tier: int = 1):
    """County A's plan through 请验, the county's inspection (all 1档), 公示 and acceptance: 已验收."""
    import datetime

    from acceptance.services import (
        acceptance_finalise,
        final_rating_set,
        inspection_result_record,
        inspection_team_set,
    )

    criteria, application = applied(county.a, tier)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    for criterion in criteria:
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=1)
    inspection_result_record(actor=county.inspector, application=application)
    application.refresh_from_db()
    acceptance_finalise(actor=None, application=application,
                        today=application.notice_ends_on + datetime.timedelta(days=1))
    application.refresh_from_db()
    return criteria, application
