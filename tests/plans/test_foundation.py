"""Organisations, plans and the services that build them."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from orgs import services as org_services
from orgs.models import Organisation
from plans import services
from plans.models import LeadingGroupMember, Plan, Stage
from plans.permissions import can_manage_plan_tasks, can_sign_plan_gate, can_work_on_plan
from tests.factories import OrganisationFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_plan_create_makes_three_default_stages_and_opens_the_first(county):
    plan = PlanFactory(school=county.a.school, title="新方案")
    stages = list(plan.stages.order_by("order"))
    assert [s.name for s in stages] == ["准备阶段", "实施阶段", "验收阶段"]
    assert [s.status for s in stages] == [Stage.Status.OPEN, Stage.Status.PENDING, Stage.Status.PENDING]
    assert AuditEntry.objects.filter(action="plans.plan.created", target_id=plan.pk).count() == 1


def test_stage_names_and_count_are_data(county):
    specs = [services.StageSpec(n) for n in ("宣传发动", "规划立项", "实施", "总结验收")]
    plan = PlanFactory(school=county.a.school, title="四步方案", stages=specs)
    assert list(plan.stages.values_list("name", flat=True)) == ["宣传发动", "规划立项", "实施", "总结验收"]


def test_plan_belongs_to_a_school_only(county):
    with pytest.raises(DomainError):
        PlanFactory(school=county.bureau, title="局方案")
    assert not Plan.objects.filter(title="局方案").exists()


def test_duplicate_plan_title_in_a_year_is_refused(county):
    with pytest.raises(DomainError, match="已有"):
        PlanFactory(school=county.a.school, title="义务教育优质均衡发展实施方案", year=county.a.plan.year)


def test_organisation_codes_are_unique(county):
    with pytest.raises(DomainError, match="已被使用"):
        OrganisationFactory(code="a", parent=county.bureau)


def test_seats_grant_role_permissions(county):
    a = county.a
    assert can_sign_plan_gate(a.leader, a.plan)
    assert not can_sign_plan_gate(a.deputy, a.plan)
    assert can_manage_plan_tasks(a.office, a.plan) and can_manage_plan_tasks(a.deputy, a.plan)
    assert not can_manage_plan_tasks(a.member, a.plan)
    assert can_work_on_plan(a.member, a.plan)
    assert not can_work_on_plan(a.staff, a.plan)


def test_role_change_moves_the_grants(county):
    a = county.a
    services.seat_set(actor=a.leader, plan=a.plan, user=a.member, role=LeadingGroupMember.Role.OFFICE)
    assert can_manage_plan_tasks(a.member, a.plan)
    services.seat_set(actor=a.leader, plan=a.plan, user=a.member, role=LeadingGroupMember.Role.MEMBER)
    assert not can_manage_plan_tasks(a.member, a.plan)
    assert AuditEntry.objects.filter(action="plans.seat.changed", plan_id=a.plan.pk).count() == 2


def test_a_plan_has_one_leader(county):
    a = county.a
    with pytest.raises(DomainError, match="已有组长"):
        services.seat_set(actor=None, plan=a.plan, user=a.deputy, role=LeadingGroupMember.Role.LEADER)
    assert a.plan.leading_group.filter(role="leader").get().user == a.leader


def test_only_own_school_staff_sit_on_the_leading_group(county):
    with pytest.raises(DomainError, match="不属于"):
        services.seat_set(actor=None, plan=county.a.plan, user=county.b.member, role="member")
    assert not county.a.plan.leading_group.filter(user=county.b.member).exists()


def test_a_school_may_run_several_plans_with_their_own_groups(county):
    a = county.a
    second = PlanFactory(school=a.school, title="校园文化建设方案")
    services.seat_set(actor=None, plan=second, user=a.member, role="leader")
    assert can_sign_plan_gate(a.member, second)
    assert not can_sign_plan_gate(a.member, a.plan)


def test_member_cannot_create_measures(county):
    with pytest.raises(NotAllowed):
        services.measure_create(actor=county.a.member, stage=county.a.plan.stages.first(), title="x")
    assert not county.a.plan.stages.first().measures.filter(title="x").exists()


def test_bureau_admin_may_create_plans_only_for_its_own_schools(county):
    plan = services.plan_create(actor=county.bureau_admin, school=county.b.school, title="局发方案", year=2026)
    assert plan.school == county.b.school
    with pytest.raises(NotAllowed):
        services.plan_create(actor=county.bureau_admin, school=county.c.school, title="越权方案", year=2026)
    with pytest.raises(NotAllowed):
        services.plan_create(actor=county.a.leader, school=county.a.school, title="自建方案", year=2026)
    assert not Plan.objects.filter(title__in=["越权方案", "自建方案"]).exists()


def test_indicator_met_follows_direction(county):
    ind = county.a.indicator
    assert ind.is_met_by(25) is True and ind.is_met_by(24) is False and ind.is_met_by(None) is None
    low = services.indicator_create(actor=None, plan=county.a.plan, name="辍学率", unit="%", direction="le", target=2)
    assert low.is_met_by(1) is True and low.is_met_by(3) is False


def test_user_create_puts_the_user_in_the_org_group(county):
    user = UserFactory(username="new_teacher", organisation=county.a.school)
    assert user.groups.filter(name="org:a").exists()
    assert Organisation.objects.get(code="a").users.filter(pk=user.pk).exists()


def test_only_a_superuser_creates_admin_accounts(county):
    from orgs.models import User

    with pytest.raises(NotAllowed):
        org_services.user_create(
            actor=county.bureau_admin, username="sneaky", password="x", organisation=county.a.school, is_staff=True
        )
    assert not User.objects.filter(username="sneaky").exists()
    teacher = org_services.user_create(
        actor=county.bureau_admin, username="ok_teacher", password="x", organisation=county.a.school
    )
    assert not teacher.is_staff
