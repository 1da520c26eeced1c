"""自评 and 请验: the leading group rates, the leader applies, the plan becomes read-only."""

from __future__ import annotations

from decimal import Decimal

import pytest

from acceptance.models import Application, SelfRating
from acceptance.selectors import application_status, self_assessment
from acceptance.services import application_submit, form_rules_set, self_rating_set
from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed, StaleObject
from notifications.models import Notification
from plans.models import Plan, Stage
from plans.permissions import can_report_on_plan
from tasks import services as task_services
from tasks.models import Task
from tests.acceptance.helpers import add_form, finish_all_stages, rate_all, ready_to_apply
from tests.workflow_helpers import pdf
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db


def plan_of(school):
    return Plan.objects.get(pk=school.plan.pk)


def test_running_score_and_what_is_unrated(county):
    a = county.a
    criteria = add_form(a.plan)
    self_rating_set(actor=a.office, criterion=criteria[0], tier=1, note="全部达标")
    self_rating_set(actor=a.deputy, criterion=criteria[1], tier=2)
    self_rating_set(actor=a.office, criterion=criteria[2], tier=None, not_applicable=True, na_reason="无寄宿生,无食堂")
    assessment = self_assessment(a.plan)
    result = assessment.result
    # 25 + 20 of 75 applicable points (one claimed not applicable): 60.00, one unrated.
    assert result.awarded == Decimal("45.0") and result.maximum == Decimal("75")
    assert result.score == Decimal("60.00") and result.unrated == 1 and not result.passed
    assert [row.criterion for row in assessment.unrated] == [criteria[3]]
    entry = AuditEntry.objects.filter(action="acceptance.self_rating.set", target_id=criteria[2].pk).get()
    assert entry.to_state == "不适用" and entry.actor == a.office


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_outsiders_and_other_schools_may_not_rate(county, who):
    criteria = add_form(county.a.plan, n=1)
    for user in (getattr(county.a, who), county.b.office, county.inspector, county.centre_head):
        with pytest.raises(NotAllowed):
            self_rating_set(actor=user, criterion=criteria[0], tier=1)
    assert not SelfRating.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"tier": 5}, "1档 至 4档"), ({"tier": 0}, "1档 至 4档"), ({"tier": None}, "1档 至 4档"),
     ({"tier": None, "not_applicable": True, "na_reason": " "}, "理由")],
)
def test_bad_ratings_are_refused_with_a_message(county, kwargs, message):
    criteria = add_form(county.a.plan, n=1)
    with pytest.raises(DomainError, match=message):
        self_rating_set(actor=county.a.office, criterion=criteria[0], **kwargs)
    assert not SelfRating.objects.exists()


def test_a_stale_page_does_not_overwrite_a_colleague(county):
    a = county.a
    criterion = add_form(a.plan, n=1)[0]
    self_rating_set(actor=a.office, criterion=criterion, tier=1, version=0)
    with pytest.raises(StaleObject):
        self_rating_set(actor=a.deputy, criterion=criterion, tier=3, version=0)
    assert SelfRating.objects.get().tier == 1


def test_evidence_of_another_plan_is_refused(county):
    a, b = county.a, county.b
    criterion = add_form(a.plan, n=1)[0]
    task_services.task_submit(task=b.tasks[0], actor=b.member, files=[pdf()])
    foreign = b.tasks[0].evidence.get()
    with pytest.raises(DomainError, match="不属于本方案"):
        self_rating_set(actor=a.office, criterion=criterion, tier=1, evidence_ids=[foreign.pk])
    task_services.task_submit(task=a.tasks[0], actor=a.member, files=[pdf()])
    own = a.tasks[0].evidence.get()
    rating = self_rating_set(actor=a.office, criterion=criterion, tier=1, evidence_ids=[own.pk])
    assert list(rating.evidence.all()) == [own]


def test_the_leader_applies_and_the_plan_becomes_read_only(county, django_capture_on_commit_callbacks):
    a = county.a
    ready_to_apply(a)
    with django_capture_on_commit_callbacks(execute=True):
        application = application_submit(actor=a.leader, plan=a.plan, note="自评合格,申请验收")
    plan = plan_of(a)
    assert plan.status == Plan.Status.ACCEPTANCE
    assert application.round == 1 and application.self_score == Decimal("100.00")
    entry = AuditEntry.objects.get(action="acceptance.application.submitted")
    assert (entry.from_state, entry.to_state, entry.actor) == ("active", "acceptance", a.leader)
    told = set(Notification.objects.filter(kind="acceptance").values_list("recipient__username", flat=True))
    assert {"bureau_admin", "inspector"} <= told and "bureau2_admin" not in told and "a_leader" not in told
    # Read-only for the school: ratings, tasks, readings, the last gate.
    with pytest.raises(InvalidTransition, match="验收中"):
        self_rating_set(actor=a.office, criterion=plan.criteria.first(), tier=2)
    task = Task.objects.filter(measure__stage__plan=plan).first()
    with pytest.raises(InvalidTransition, match="验收中"):
        task_services.evidence_add(task=task, actor=a.office, upload=pdf())
    assert not can_report_on_plan(a.member, plan)
    with pytest.raises(InvalidTransition, match="验收中"):
        stage_complete(stage=plan.stages.get(order=3), actor=a.leader)
    with pytest.raises(InvalidTransition, match="不能申请验收"):
        application_submit(actor=a.leader, plan=a.plan)
    assert Application.objects.count() == 1


def test_the_application_is_refused_with_reasons(county):
    a = county.a
    criteria = add_form(a.plan)
    with pytest.raises(InvalidTransition, match="阶段关口未签署"):
        application_submit(actor=a.leader, plan=a.plan)
    finish_all_stages(a)
    with pytest.raises(InvalidTransition, match="4 项未评定"):
        application_submit(actor=a.leader, plan=a.plan)
    rate_all(a, criteria[:3], tier=1)
    self_rating_set(actor=a.office, criterion=criteria[3], tier=4)  # 75 of 100
    with pytest.raises(InvalidTransition, match="低于合格分 85"):
        application_submit(actor=a.leader, plan=a.plan)
    assert "自评未达到合格标准" in " ".join(application_status(a.leader, a.plan, self_assessment(a.plan)))
    for user in (a.deputy, a.office, county.bureau_admin, county.b.leader):
        with pytest.raises(NotAllowed):
            application_submit(actor=user, plan=a.plan)
    self_rating_set(actor=a.office, criterion=criteria[3], tier=None, not_applicable=True, na_reason="无食堂")
    application_submit(actor=a.leader, plan=a.plan)  # 75 of 75 applicable
    assert plan_of(a).status == Plan.Status.ACCEPTANCE


def test_open_tasks_of_the_acceptance_stage_block_the_application(county):
    a = county.a
    criteria = add_form(a.plan)
    rate_all(a, criteria)
    finish_all_stages(a)
    from plans.services import measure_create
    from tasks.services import task_create

    measure = measure_create(actor=None, stage=a.plan.stages.get(order=3), title="自查")
    task = task_create(actor=None, measure=measure, title="开展自查", assignee=a.member)
    with pytest.raises(InvalidTransition, match="1 项任务未完成"):
        application_submit(actor=a.leader, plan=a.plan)
    task_services.task_waive(task=task, actor=a.leader, reason="已并入自评")
    application_submit(actor=a.leader, plan=a.plan)
    assert plan_of(a).status == Plan.Status.ACCEPTANCE


def test_the_pass_rule_is_the_bureaus_data(county):
    a = county.a
    criteria = add_form(a.plan)
    with pytest.raises(NotAllowed):
        form_rules_set(actor=a.leader, plan=a.plan, fractions=[Decimal("1"), Decimal("0.8"), Decimal("0.5"), Decimal("0")])
    with pytest.raises(DomainError, match="逐档不增"):
        form_rules_set(actor=county.bureau_admin, plan=a.plan,
                       fractions=[Decimal("1"), Decimal("0.5"), Decimal("0.8"), Decimal("0")])
    form_rules_set(actor=county.bureau_admin, plan=a.plan,
                   fractions=[Decimal("1"), Decimal("0.9"), Decimal("0.5"), Decimal("0")], pass_mark=Decimal("90"))
    rate_all(a, criteria[:2], tier=1)
    rate_all(a, criteria[2:], tier=2)  # 50 + 45 = 95 of 100
    result = self_assessment(a.plan).result
    assert result.score == Decimal("95.00") and result.passed
    form_rules_set(actor=county.bureau_admin, plan=a.plan,
                   fractions=[Decimal("1"), Decimal("0.9"), Decimal("0.5"), Decimal("0")], pass_rule="counts",
                   min_tier1=3)
    result = self_assessment(a.plan).result
    assert not result.passed and "少于要求的 3 项" in result.shortfalls[0]
    assert AuditEntry.objects.filter(action="acceptance.form.rules_set").count() == 2


def test_the_last_gate_no_longer_completes_the_plan(county):
    a = county.a
    finish_all_stages(a)
    stage_complete(stage=a.plan.stages.get(order=3), actor=a.leader)
    assert a.plan.stages.get(order=3).status == Stage.Status.COMPLETED
    assert plan_of(a).status == Plan.Status.ACTIVE
