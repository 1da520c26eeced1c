"""The city's spot check (抽检) of an accepted plan: opening it with its team, re-forming the team,
and recording the result. The scoring in between is the inspection's own (inspector_rating_set,
na_claim_decide, final_rating_set on the spot check's Application row, kind SPOT).

Lock order as in acceptance.services.inspection: the plan row, then the application row.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from acceptance.flows import PlanFlow
from acceptance.models import Application, FinalRating
from acceptance.permissions import can_settle_inspection, can_spot_check, city_over
from acceptance.selectors import bureau_staff
from acceptance.services.inspection import (
    _guard,
    _locked,
    _school_managers,
    _url,
    rectification_from,
    settled_result,
)
from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, require
from core.text import bounded
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from orgs.permissions import is_active_user
from plans.models import Plan

A = Application.Status
NOT_ACCEPTED = "只能抽检已通过验收的方案（该方案当前为“{}”，可能已由他人处理，请刷新页面）。"
ALREADY_OPEN = "该方案已有进行中的市级抽检（可能已由他人发起），请刷新页面。"


def _team(plan: Plan, leader: User, members: Sequence[User]) -> list[User]:
    """The team, leader first: active staff of the city over the school, each once."""
    city = city_over(plan)
    team = [leader, *[m for m in dict.fromkeys(members) if m.pk != leader.pk]]
    for person in team:
        if not is_active_user(person) or city is None or person.organisation_id != city.pk:
            raise DomainError(f"“{person}”不是本市教育局的在职人员，不能加入抽检组。")
    return team


def _spot(application: Application) -> None:
    if not application.is_spot_check:
        raise InvalidTransition("这不是市级抽检。")


def _tell_team(application: Application, team: list[User], actor: User) -> None:
    plan = application.plan
    notify(
        recipients=team,
        kind=Notification.Kind.ACCEPTANCE,
        text=f"您已加入“{plan.school.name}”的市级抽检组，抽检日期 {application.inspection_date:%Y-%m-%d}。",
        url=_url(plan),
        plan=plan,
        exclude=actor,
    )


def _claims_of_last_acceptance(application: Application) -> None:
    """The not-applicable claims the county's team decided stay decided (the spot team rates
    every other line afresh): copied from the accepted round, without its tiers."""
    accepted = (
        Application.objects.filter(plan_id=application.plan_id, kind=Application.Kind.ROUND, status=A.ACCEPTED)
        .order_by("-round")
        .first()
    )
    if accepted is None:
        return
    FinalRating.objects.bulk_create(
        [
            FinalRating(application=application, criterion_id=f.criterion_id, claim=f.claim, remark=f.remark)
            for f in FinalRating.objects.filter(application=accepted).exclude(claim="")
        ]
    )


@transaction.atomic
def spot_check_open(
    *,
    actor: User,
    plan: Plan | int,
    leader: User,
    members: Sequence[User] = (),
    inspection_date: datetime.date,
    note: str = "",
) -> Application:
    """A city user opens a spot check (抽检) of an accepted (已验收) plan of a school in its
    counties, naming the team (active staff of the city) and the date. One spot check under way
    per plan (the plan lock and a partial unique constraint). The team scores it on the plan's
    form; the school and the county are told."""
    plan = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("school")
        .get(pk=plan.pk if isinstance(plan, Plan) else plan)
    )
    require(can_spot_check(actor, plan), "只有该校所属市的市教育局人员可以发起抽检。")
    if plan.status != Plan.Status.COMPLETED:
        raise InvalidTransition(NOT_ACCEPTED.format(plan.get_status_display()))
    if plan.applications.filter(kind=Application.Kind.SPOT, status=A.INSPECTING).exists():
        raise InvalidTransition(ALREADY_OPEN)
    team = _team(plan, leader, members)
    last_round = plan.applications.order_by("-round").values_list("round", flat=True).first() or 0
    try:
        with transaction.atomic():
            application = Application.objects.create(
                plan=plan,
                kind=Application.Kind.SPOT,
                round=last_round + 1,
                status=A.INSPECTING,
                note=bounded(note, Application, "note", "抽检说明"),
                applied_by=actor,
                team_leader=leader,
                inspection_date=inspection_date,
            )
    except IntegrityError:  # pragma: no cover - the plan lock serialises; the constraint is the backstop
        raise InvalidTransition(ALREADY_OPEN) from None
    application.inspectors.set(team[1:])
    _claims_of_last_acceptance(application)
    audit_record(
        actor=actor,
        action="acceptance.spot_check.opened",
        target=application,
        plan=plan,
        new=application.status,
        data={"leader": leader.pk, "members": [m.pk for m in team[1:]], "date": inspection_date.isoformat()},
    )
    _tell_team(application, team, actor)
    notify(
        recipients=[*_school_managers(plan), *bureau_staff(plan)],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"市教育局将对“{plan.title}”（{plan.school.name}）进行抽检，日期 {inspection_date:%Y-%m-%d}。",
        url=_url(plan),
        plan=plan,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


@transaction.atomic
def spot_check_team_set(
    *,
    actor: User,
    application: Application | int,
    leader: User,
    members: Sequence[User] = (),
    inspection_date: datetime.date,
) -> Application:
    """The city re-forms the spot check's team or moves its date, until the result is recorded.
    Ratings already given stay with their inspectors."""
    application = _locked(application)
    plan = application.plan
    require(can_spot_check(actor, plan), "只有该校所属市的市教育局人员可以调整抽检组。")
    _spot(application)
    _guard(application, A.INSPECTING)
    team = _team(plan, leader, members)
    application.team_leader = leader
    application.inspection_date = inspection_date
    application.save(update_fields=["team_leader", "inspection_date"])
    application.inspectors.set(team[1:])
    audit_record(
        actor=actor,
        action="acceptance.spot_check.team_set",
        target=application,
        plan=plan,
        data={"leader": leader.pk, "members": [m.pk for m in team[1:]], "date": inspection_date.isoformat()},
    )
    _tell_team(application, team, actor)
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


def _city_side(application: Application) -> list[User]:
    """The city staff who opened the spot check and its team: they hear the result too."""
    people = [application.applied_by, application.team_leader, *application.inspectors.all()]
    return [person for person in people if person is not None]


@transaction.atomic
def spot_check_result_record(*, actor: User, application: Application | int, note: str = "") -> Application:
    """The spot team's leader records the result from the settled tiers, by the form's pass rule:
    合格 (抽检合格; the plan stays 已验收) or 不合格 (the criteria marked 需整改 become
    rectification items, PlanFlow.spot_fail takes the plan back to 整改中, which lifts the freeze
    of the plan and its archive; the county's 复验 follows the usual path). The school's leader,
    deputy and office and the county bureau are told either way."""
    application = _locked(application)
    plan = application.plan
    require(can_settle_inspection(actor, application), "只有抽检组组长可以记录抽检结论。")
    _spot(application)
    _guard(application, A.INSPECTING)
    result, finals = settled_result(application)
    old = application.status
    application.final_score = result.score
    application.result_note = bounded(note, Application, "result_note", "抽检结论")
    application.recorded_at = timezone.now()
    if result.passed:
        application.status = A.PASSED
    else:
        rectification_from(application, finals, result.shortfalls)
        application.status = A.FAILED
        PlanFlow(plan).spot_fail()
        plan.save(update_fields=["status", "updated_at"])
    application.save(update_fields=["status", "final_score", "result_note", "recorded_at"])
    audit_record(
        actor=actor,
        action="acceptance.spot_check.recorded",
        target=application,
        plan=plan,
        old=old,
        new=application.status,
        data={"score": str(result.score), "passed": result.passed, "plan_status": plan.status},
    )
    verdict = "合格，方案保持已验收" if result.passed else "不合格，方案转入整改，整改完成后申请复验"
    notify(
        recipients=[*_school_managers(plan), *bureau_staff(plan), *_city_side(application)],
        exclude=actor,
        kind=Notification.Kind.ACCEPTANCE,
        text=f"市教育局对“{plan.title}”（{plan.school.name}）的抽检结论：{verdict}（得分 {result.score}）。",
        url=_url(plan),
        plan=plan,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application
