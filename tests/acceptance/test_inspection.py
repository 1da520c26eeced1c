"""The bureau's inspection: the team, independent ratings, settled tiers, 不合格 → 整改 → 复验 → 合格 →
公示 → 已验收 (frozen), and who may do each step."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from acceptance.models import Application, InspectorRating, RectificationItem
from acceptance.services import (
    acceptance_finalise,
    application_submit,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
    objection_record,
    rectification_assign,
    rectification_close,
    rectification_return,
    rectification_submit,
    self_rating_set,
)
from acceptance.services.inspection import add_working_days
from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from notifications.models import Notification
from plans.models import Plan
from tasks import services as task_services
from tests.acceptance.helpers import applied, ready_to_apply
from tests.factories import UserFactory
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db
DATE = datetime.date(2026, 12, 1)


def status(school):
    return Plan.objects.get(pk=school.plan.pk).status


@pytest.fixture
def team(county):
    second = UserFactory(username="inspector2", organisation=county.office, bureau_role="inspector")
    return county.inspector, second


def settle(application, leader, criteria, tiers, rectify=()):
    for criterion, tier in zip(criteria, tiers, strict=True):
        final_rating_set(actor=leader, application=application, criterion=criterion, tier=tier,
                         rectify=criterion in rectify, remark="需补充材料" if criterion in rectify else "")


def test_the_whole_loop_fail_rectify_reinspect_pass_notice_accept(county, team, django_capture_on_commit_callbacks):
    a = county.a
    lead, member = team
    criteria, application = applied(a)
    with django_capture_on_commit_callbacks(execute=True):
        inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[member],
                            inspection_date=DATE)
    assert Application.objects.get(pk=application.pk).status == Application.Status.INSPECTING
    assert Notification.objects.filter(recipient=member, kind="acceptance").exists()
    # Independent ratings: both keep their own row for the same criterion.
    inspector_rating_set(actor=lead, application=application, criterion=criteria[0], tier=2, remark="基本达到")
    inspector_rating_set(actor=member, application=application, criterion=criteria[0], tier=3, remark="不足")
    assert InspectorRating.objects.filter(criterion=criteria[0]).count() == 2
    settle(application, lead, criteria, [1, 1, 3, 4], rectify=criteria[2:])  # 50 + 12.5 of 100
    with django_capture_on_commit_callbacks(execute=True):
        inspection_result_record(actor=lead, application=application, note="两项未达到")
    application.refresh_from_db()
    assert application.status == Application.Status.FAILED and application.final_score == Decimal("62.50")
    assert status(a) == Plan.Status.RECTIFYING
    assert Notification.objects.filter(recipient=a.leader, kind="acceptance", text__contains="不合格").exists()
    items = list(RectificationItem.objects.order_by("pk"))
    assert [i.criterion for i in items] == criteria[2:] and items[0].remark == "需补充材料"
    with pytest.raises(InvalidTransition, match="2 项整改未完成"):
        application_submit(actor=a.leader, plan=a.plan)

    for item in items:
        rectification_assign(actor=a.office, item=item, owner=a.member, due_on=timezone.localdate())
        rectification_submit(actor=a.member, item=item, note="已补充", upload=pdf())
    rectification_return(actor=a.office, item=items[0], reason="缺少照片")
    rectification_submit(actor=a.member, item=items[0], note="已补充照片", upload=pdf())
    for item in items:
        rectification_close(actor=a.office, item=item)
    second = application_submit(actor=a.leader, plan=a.plan, note="整改完毕,申请复验")
    assert second.round == 2 and status(a) == Plan.Status.ACCEPTANCE

    inspection_team_set(actor=county.bureau_admin, application=second, leader=lead, inspection_date=DATE)
    # Criteria not marked for rectification keep their final tiers; the rectified ones are rated again.
    settle(second, lead, criteria[2:], [1, 2])  # 25 + 25 + 25 + 20 = 95
    inspection_result_record(actor=lead, application=second)
    second.refresh_from_db()
    assert second.status == Application.Status.NOTICE and second.final_score == Decimal("95.00")
    assert second.notice_ends_on == add_working_days(timezone.localdate(), 5)
    objection_record(actor=county.bureau_admin, application=second, text="有家长反映图书不足", handling="经核实图书达标")
    with pytest.raises(InvalidTransition, match="公示期满后"):
        acceptance_finalise(actor=county.bureau_admin, application=second)
    acceptance_finalise(actor=None, application=second, today=second.notice_ends_on + datetime.timedelta(days=1))
    second.refresh_from_db()
    assert second.status == Application.Status.ACCEPTED and second.certificate_ref.startswith("YS2026-")
    assert status(a) == Plan.Status.COMPLETED
    entry = AuditEntry.objects.get(action="acceptance.plan.accepted")
    assert (entry.from_state, entry.to_state) == ("acceptance", "completed")

    # Frozen: nothing of the plan changes any more.
    with pytest.raises(InvalidTransition):
        self_rating_set(actor=a.office, criterion=criteria[0], tier=2)
    with pytest.raises(InvalidTransition):
        task_services.evidence_add(task=a.tasks[0], actor=a.office, upload=pdf())
    with pytest.raises(InvalidTransition):
        application_submit(actor=a.leader, plan=a.plan)
    with pytest.raises(InvalidTransition):
        final_rating_set(actor=lead, application=second, criterion=criteria[0], tier=4)


def test_a_pass_needs_no_rectification_and_a_fail_needs_some(county, team):
    a = county.a
    lead, _ = team
    criteria, application = applied(a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, inspection_date=DATE)
    with pytest.raises(InvalidTransition, match="4 项未确定最终等级"):
        inspection_result_record(actor=lead, application=application)
    settle(application, lead, criteria, [1, 1, 2, 4])  # 70: fails, nothing marked
    with pytest.raises(InvalidTransition, match="请至少标记一项需整改"):
        inspection_result_record(actor=lead, application=application)
    settle(application, lead, criteria, [1, 1, 2, 2])  # 90 exactly passes 85
    inspection_result_record(actor=lead, application=application)
    assert Application.objects.get(pk=application.pk).status == Application.Status.NOTICE
    with pytest.raises(InvalidTransition, match="公示中"):
        inspector_rating_set(actor=lead, application=application, criterion=criteria[0], tier=1)


def test_who_may_form_the_team_and_who_may_be_on_it(county, team):
    a = county.a
    lead, _ = team
    _, application = applied(a)
    for user in (a.leader, county.inspector, county.centre_head, county.other_bureau_user):
        with pytest.raises(NotAllowed):
            inspection_team_set(actor=user, application=application, leader=lead, inspection_date=DATE)
    foreign = UserFactory(username="far_inspector", organisation=county.c.school.parent, bureau_role="inspector")
    for outsider in (a.office, county.centre_head, foreign):
        with pytest.raises(DomainError, match="不能加入评估组"):
            inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[outsider],
                                inspection_date=DATE)
    assert Application.objects.get(pk=application.pk).status == Application.Status.APPLIED


def test_only_the_team_rates_and_only_its_leader_settles(county, team):
    a = county.a
    lead, member = team
    criteria, application = applied(a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[member],
                        inspection_date=DATE)
    for user in (a.leader, a.office, county.centre_head, county.bureau_admin, county.other_bureau_user):
        with pytest.raises(NotAllowed):
            inspector_rating_set(actor=user, application=application, criterion=criteria[0], tier=1)
    with pytest.raises(NotAllowed):
        final_rating_set(actor=member, application=application, criterion=criteria[0], tier=1)
    with pytest.raises(NotAllowed):
        inspection_result_record(actor=member, application=application)
    for bad in (0, 5):
        with pytest.raises(DomainError, match="1档 至 4档"):
            inspector_rating_set(actor=member, application=application, criterion=criteria[0], tier=bad)
    with pytest.raises(DomainError, match="不属于本方案"):
        inspector_rating_set(actor=member, application=application, criterion=county.b.plan.pk * 1000, tier=1)
    assert not InspectorRating.objects.exists()


def test_a_not_applicable_claim_must_be_decided_before_rating(county, team):
    a = county.a
    lead, member = team
    from tests.acceptance.helpers import add_form, finish_all_stages, rate_all

    criteria = add_form(a.plan)
    rate_all(a, criteria[:3])
    self_rating_set(actor=a.office, criterion=criteria[3], tier=None, not_applicable=True, na_reason="无食堂")
    finish_all_stages(a)
    application = application_submit(actor=a.leader, plan=a.plan)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[member],
                        inspection_date=DATE)
    with pytest.raises(InvalidTransition, match="请先由评估组组长确认或驳回"):
        inspector_rating_set(actor=member, application=application, criterion=criteria[3], tier=1)
    settle(application, lead, criteria[:3], [1, 1, 1])
    with pytest.raises(InvalidTransition, match="未确认或驳回"):
        inspection_result_record(actor=lead, application=application)
    na_claim_decide(actor=lead, application=application, criterion=criteria[3], confirm=True)
    with pytest.raises(InvalidTransition, match="已确认该项不适用"):
        inspector_rating_set(actor=member, application=application, criterion=criteria[3], tier=1)
    inspection_result_record(actor=lead, application=application)
    application.refresh_from_db()
    assert application.final_score == Decimal("100.00") and application.status == Application.Status.NOTICE


def test_add_working_days_skips_weekends():
    friday = datetime.date(2026, 11, 27)
    assert add_working_days(friday, 1) == datetime.date(2026, 11, 30)
    assert add_working_days(friday, 5) == datetime.date(2026, 12, 4)


def test_close_notices_accepts_only_ended_notices(county, team):
    from django.core.management import call_command

    a = county.a
    lead, _ = team
    criteria, application = applied(a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, inspection_date=DATE)
    settle(application, lead, criteria, [1, 1, 1, 1])
    inspection_result_record(actor=lead, application=application)
    application.refresh_from_db()
    call_command("close_notices", today=application.notice_ends_on)
    assert status(a) == Plan.Status.ACCEPTANCE
    call_command("close_notices", today=application.notice_ends_on + datetime.timedelta(days=1))
    assert status(a) == Plan.Status.COMPLETED
    call_command("close_notices", today=application.notice_ends_on + datetime.timedelta(days=2))  # idempotent
    assert AuditEntry.objects.filter(action="acceptance.plan.accepted", actor=None).count() == 1


def test_reminders_before_the_inspection_date_are_sent_once(county, team):
    from acceptance.services.inspection import inspection_reminders_send

    a = county.a
    lead, member = team
    _, application = applied(a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[member],
                        inspection_date=DATE)
    assert inspection_reminders_send(today=DATE - datetime.timedelta(days=3)) == 0
    assert inspection_reminders_send(today=DATE - datetime.timedelta(days=2)) == 1
    assert inspection_reminders_send(today=DATE - datetime.timedelta(days=1)) == 0  # once per date
    for user in (lead, member, a.leader, a.office):
        assert Notification.objects.filter(recipient=user, text__startswith="提醒").count() == 1
    assert not Notification.objects.filter(recipient=a.member, text__startswith="提醒").exists()
    later = DATE + datetime.timedelta(days=7)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, inspection_date=later)
    assert inspection_reminders_send(today=later) == 1  # a new date re-arms the reminder


def test_an_over_long_note_is_refused_whole_never_cut(county, team):
    """House rule (core.text.bounded): a text longer than its field is refused with a message and
    nothing is stored, in the 请验 note, an inspector's remark, the team leader's conclusion and a
    recorded objection."""
    a = county.a
    lead, member = team
    long = "很" * 1001
    criteria = ready_to_apply(a)
    with pytest.raises(DomainError, match="最多 1000 个字，现有 1001 个字"):
        application_submit(actor=a.leader, plan=a.plan, note=long)
    assert not Application.objects.filter(plan=a.plan).exists()
    assert status(a) != Plan.Status.ACCEPTANCE
    application = application_submit(actor=a.leader, plan=a.plan, note="很" * 1000)  # the limit itself is fine
    inspection_team_set(actor=county.bureau_admin, application=application, leader=lead, members=[member],
                        inspection_date=DATE)
    with pytest.raises(DomainError, match="评估意见最多 1000 个字"):
        inspector_rating_set(actor=member, application=application, criterion=criteria[0], tier=1, remark=long)
    assert not InspectorRating.objects.exists()
    settle(application, lead, criteria, [1] * len(criteria))
    with pytest.raises(DomainError, match="验收结论最多 1000 个字"):
        inspection_result_record(actor=lead, application=application, note=long)
    application.refresh_from_db()
    assert application.status == Application.Status.INSPECTING and application.result_note == ""
    inspection_result_record(actor=lead, application=application, note="符合要求")
    application.refresh_from_db()
    with pytest.raises(DomainError, match="处理情况最多 1000 个字"):
        objection_record(actor=county.bureau_admin, application=application, text="有异议", handling=long)
    assert not application.objections.exists()
