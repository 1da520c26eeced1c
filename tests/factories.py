"""factory_boy factories. They build through the services so grants and audit rows exist as in
production; use them for preconditions, and the services themselves for the behaviour under test."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from orgs import services as org_services
from orgs.models import Organisation, User
from plans import services
from plans.models import LeadingGroupMember, Plan
from tasks.services import task_create

PASSWORD = "pw-for-tests-1"


class OrganisationFactory(factory.Factory):
    class Meta:
        model = Organisation

    code = factory.Sequence(lambda n: f"org{n}")
    name = factory.Sequence(lambda n: f"学校{n}")
    kind = Organisation.Kind.SCHOOL
    parent = None
    township = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_services.organisation_create(actor=None, **kwargs)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")
    organisation = None
    position = ""
    bureau_role = ""
    is_staff = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_services.user_create(actor=None, password=PASSWORD, **kwargs)


class PlanFactory(factory.Factory):
    class Meta:
        model = Plan

    school = None
    title = factory.Sequence(lambda n: f"实施方案{n}")
    year = 2026

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.plan_create(actor=None, **kwargs)


def build_school(code: str, parent: Organisation, township: str = "") -> dict:
    """A school with a plan, a full leading group and one measure with three tasks."""
    school = OrganisationFactory(code=code, name=f"{code}学校", parent=parent, township=township)
    people = {
        role: UserFactory(username=f"{code}_{role}", organisation=school)
        for role in ("leader", "deputy", "office", "member", "member2")
    }
    outsider = UserFactory(username=f"{code}_staff", organisation=school)
    today = timezone.localdate()
    plan = PlanFactory(
        school=school,
        title="义务教育优质均衡发展实施方案",
        stages=[
            services.StageSpec("准备阶段", today - datetime.timedelta(days=30), today + datetime.timedelta(days=10)),
            services.StageSpec("实施阶段", today + datetime.timedelta(days=11), today + datetime.timedelta(days=100)),
            services.StageSpec("验收阶段", today + datetime.timedelta(days=101), today + datetime.timedelta(days=150)),
        ],
    )
    for role, user in people.items():
        services.seat_set(actor=None, plan=plan, user=user, role="member" if role == "member2" else role)
    stage = plan.stages.get(order=1)
    measure = services.measure_create(actor=None, stage=stage, title="成立工作领导小组", owner=people["leader"])
    tasks = [
        task_create(actor=None, measure=measure, title="印发文件", assignee=people["member"],
                    due_on=today + datetime.timedelta(days=5)),
        task_create(actor=None, measure=measure, title="召开会议", assignee=people["member2"],
                    due_on=today - datetime.timedelta(days=2)),
        task_create(actor=None, measure=measure, title="明确分工"),
    ]
    later = services.measure_create(actor=None, stage=plan.stages.get(order=2), title="资源配置优化")
    tasks.append(task_create(actor=None, measure=later, title="补充图书", assignee=people["member"]))
    indicator = services.indicator_create(actor=None, plan=plan, name="生均图书", unit="册", direction="ge", target=25)
    return {"school": school, "plan": plan, "people": people, "staff": outsider, "measure": measure,
            "tasks": tasks, "indicator": indicator, **people}


Role = LeadingGroupMember.Role
