"""The bureau's side of acceptance: the inspection team, each inspector's ratings, the leader's
settled tiers and result, the public notice (公示) and the final acceptance.

Lock order, everywhere: the plan row, then the application row. The school's services lock the
plan first too, so a school action and a bureau action on one plan never interleave.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from acceptance.flows import PlanFlow
from acceptance.models import (
    DEFAULT_NOTICE_DAYS,
    AcceptanceCriterion,
    AcceptanceForm,
    Application,
    FinalRating,
    InspectorRating,
    Objection,
    RectificationItem,
)
from acceptance.permissions import (
    can_form_inspection_team,
    can_handle_notice,
    can_rate_as_inspector,
    can_settle_inspection,
)
from acceptance.scoring import Result
from acceptance.selectors import final_result
from audit.services import audit_record
from core.errors import DomainError, InvalidTransition, NotAllowed, StaleObject, require
from core.text import bounded
from notifications import push
from notifications.models import Notification
from notifications.services import notify
from orgs.models import User
from orgs.permissions import is_active_user, user_bureau
from plans.models import LeadingGroupMember, Plan

A = Application.Status


def _locked(application: Application | int) -> Application:
    pk = application.pk if isinstance(application, Application) else application
    plan_id = Application.objects.values_list("plan_id", flat=True).get(pk=pk)
    Plan.objects.select_for_update(of=("self",)).get(pk=plan_id)
    return Application.objects.select_for_update(of=("self",)).select_related("plan__school").get(pk=pk)


def _guard(application: Application, *states: str) -> None:
    if application.status not in states:
        shown = application.status_label
        raise InvalidTransition(f"该验收申请当前为“{shown}”，不能执行此操作（可能已由他人处理，请刷新页面）。")


def _guard_round(application: Application) -> None:
    """The county's own acts (team, result, notice) are refused on a city's spot check."""
    if application.is_spot_check:
        raise InvalidTransition("这是市教育局的抽检，由市教育局组建抽检组、由抽检组组长记录结论。")


def _school_managers(plan: Plan) -> list[User]:
    roles = (LeadingGroupMember.Role.LEADER, LeadingGroupMember.Role.DEPUTY, LeadingGroupMember.Role.OFFICE)
    return [seat.user for seat in plan.leading_group.filter(role__in=roles).select_related("user")]


def _url(plan: Plan) -> str:
    return reverse("acceptance:plan_acceptance", args=[plan.pk])


def _criterion(application: Application, criterion: AcceptanceCriterion | int) -> AcceptanceCriterion:
    pk = criterion.pk if isinstance(criterion, AcceptanceCriterion) else criterion
    found = AcceptanceCriterion.objects.filter(pk=pk, plan_id=application.plan_id).select_related("self_rating").first()
    if found is None:
        raise DomainError("该评估要点不属于本方案的评估表。")
    if not found.applicable:
        raise InvalidTransition("该评估要点已由评估表列为不适用，无需评定。")
    return found


def _tier(tier: int | None) -> int:
    if tier not in (1, 2, 3, 4):
        raise DomainError("评定等级须为 1档 至 4档 之一。")
    assert tier is not None
    return tier


@transaction.atomic
def inspection_team_set(
    *,
    actor: User,
    application: Application | int,
    leader: User,
    members: Sequence[User] = (),
    inspection_date: datetime.date,
) -> Application:
    """The bureau forms the inspection team (评估组) and sets the date; the application moves to
    验收中. Team members must be active users of the school's own bureau (or its supervision
    office). The team may be re-formed until the result is recorded. From the second round on,
    the criteria not marked for rectification keep the previous round's final tiers."""
    application = _locked(application)
    plan = application.plan
    require(can_form_inspection_team(actor, plan), "只有教育局管理员可以组建评估组。")
    _guard_round(application)
    _guard(application, A.APPLIED, A.INSPECTING)
    bureau = next((org for org in plan.school.ancestors() if org.kind == "bureau"), None)
    team = [leader, *[m for m in members if m.pk != leader.pk]]
    for person in team:
        if not is_active_user(person) or user_bureau(person) is None or user_bureau(person) != bureau:
            raise DomainError(f"“{person}”不是本县教育局或督导室的在职人员，不能加入评估组。")
    old = application.status
    application.team_leader = leader
    application.inspection_date = inspection_date
    application.status = A.INSPECTING
    application.save(update_fields=["team_leader", "inspection_date", "status"])
    application.inspectors.set(team[1:])
    if old == A.APPLIED and application.round > 1:
        _carry_over_finals(application)
    audit_record(
        actor=actor,
        action="acceptance.inspection.team_set",
        target=application,
        plan=plan,
        old=old,
        new=application.status,
        data={"leader": leader.pk, "members": [m.pk for m in team[1:]], "date": inspection_date.isoformat()},
    )
    notify(
        recipients=team,
        kind=Notification.Kind.ACCEPTANCE,
        text=f"您已加入“{plan.school.name}”第{application.round}轮验收评估组，验收日期 {inspection_date:%Y-%m-%d}。",
        url=_url(plan),
        plan=plan,
        exclude=actor,
    )
    notify(
        recipients=_school_managers(plan),
        kind=Notification.Kind.ACCEPTANCE,
        text=f"教育局已安排“{plan.title}”的评估验收，日期 {inspection_date:%Y-%m-%d}。",
        url=_url(plan),
        plan=plan,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


def _carry_over_finals(application: Application) -> None:
    previous = Application.objects.filter(plan=application.plan, round=application.round - 1).first()
    if previous is None:
        return
    FinalRating.objects.bulk_create(
        [
            FinalRating(
                application=application, criterion_id=f.criterion_id, tier=f.tier, claim=f.claim, remark=f.remark
            )
            for f in FinalRating.objects.filter(application=previous, rectify=False)
        ]
    )


def inspector_rating_check(
    *, actor: User, application: Application, criterion: AcceptanceCriterion | int, tier: int | None
) -> AcceptanceCriterion:
    """Every check of an inspector's rating, without writing: the team, the round still being
    inspected, the criterion on this plan's form and applicable, no open not-applicable claim, a
    tier of 1–4. Returns the criterion; raises NotAllowed or DomainError. The service asks it under
    its lock; a dry run (the 评分表 workbook) asks it row by row beforehand."""
    require(can_rate_as_inspector(actor, application), "只有本次评估组成员可以评分。")
    _guard(application, A.INSPECTING)
    found = _criterion(application, criterion)
    _refuse_open_claim(application, found)
    _tier(tier)
    return found


@transaction.atomic
def inspector_rating_set(
    *,
    actor: User,
    application: Application | int,
    criterion: AcceptanceCriterion | int,
    tier: int,
    remark: str = "",
    version: int | None = None,
) -> InspectorRating:
    """An inspector rates one criterion on their own (each inspector has their own row, so two
    inspectors saving the same criterion at once both keep their rating). Refused on a criterion
    the school claimed not applicable until the team leader overruled the claim.

    ``version`` is the version of the inspector's rating the page (or the workbook's dry run) was
    built from: an older one is refused (StaleObject) rather than overwriting the newer rating."""
    application = _locked(application)
    found = inspector_rating_check(actor=actor, application=application, criterion=criterion, tier=tier)
    rating = InspectorRating.objects.filter(application=application, criterion=found, inspector=actor).first()
    if version is not None and (rating.version if rating else 0) != version:
        raise StaleObject(f"“{found.point[:30]}”的评分已被他人修改，请刷新页面后再评分。")
    old = f"{rating.tier}档" if rating else ""
    if rating is None:
        rating = InspectorRating(application=application, criterion=found, inspector=actor)
    rating.tier, rating.remark = tier, bounded(remark, InspectorRating, "remark")
    rating.version += 1
    rating.save()
    audit_record(
        actor=actor,
        action="acceptance.inspection.rated",
        target=found,
        plan=application.plan_id,
        old=old,
        new=f"{tier}档",
        data={"application": application.pk, "remark": rating.remark[:100]},
    )
    return rating


def _refuse_stale(final: FinalRating | None, version: int | None, criterion: AcceptanceCriterion) -> None:
    if version is not None and (final.version if final else 0) != version:
        raise StaleObject(f"“{criterion.point[:30]}”的最终评定已被他人修改，请刷新页面后再操作。")


def _refuse_open_claim(application: Application, criterion: AcceptanceCriterion) -> None:
    rating = getattr(criterion, "self_rating", None)
    if rating is None or not rating.not_applicable:
        return
    claim = (
        FinalRating.objects.filter(application=application, criterion=criterion).values_list("claim", flat=True).first()
    )
    if claim == FinalRating.Claim.CONFIRMED:
        raise InvalidTransition("评估组已确认该项不适用，无需评分。")
    if claim != FinalRating.Claim.OVERRULED:
        raise InvalidTransition("学校申报该项不适用：请先由评估组组长确认或驳回该申报，再评分。")


@transaction.atomic
def na_claim_decide(
    *,
    actor: User,
    application: Application | int,
    criterion: AcceptanceCriterion | int,
    confirm: bool,
    remark: str = "",
    version: int | None = None,
) -> FinalRating:
    """The team leader confirms a school's not-applicable claim (the line leaves the total) or
    overrules it (the line is rated like any other). ``version``: as in final_rating_set."""
    application = _locked(application)
    require(can_settle_inspection(actor, application), "只有评估组组长可以确认不适用申报。")
    _guard(application, A.INSPECTING)
    found = _criterion(application, criterion)
    rating = getattr(found, "self_rating", None)
    if rating is None or not rating.not_applicable:
        raise InvalidTransition("学校没有申报该项不适用。")
    claim = FinalRating.Claim.CONFIRMED if confirm else FinalRating.Claim.OVERRULED
    final = FinalRating.objects.filter(application=application, criterion=found).first()
    _refuse_stale(final, version, found)
    if final is None:
        final = FinalRating(application=application, criterion=found)
    final.claim = claim
    final.tier = None if confirm else final.tier
    final.remark = bounded(remark, FinalRating, "remark") or final.remark
    final.version += 1
    final.save()
    audit_record(
        actor=actor,
        action="acceptance.inspection.claim_decided",
        target=found,
        plan=application.plan_id,
        new=FinalRating.Claim(claim).label,
        data={"application": application.pk},
    )
    return final


@transaction.atomic
def final_rating_set(
    *,
    actor: User,
    application: Application | int,
    criterion: AcceptanceCriterion | int,
    tier: int,
    rectify: bool = False,
    remark: str = "",
    version: int | None = None,
) -> FinalRating:
    """The team leader settles a criterion's final tier (having seen every inspector's rating) and
    whether it must be rectified, with the remark the school will read.

    ``version`` is the version of the settlement the page was built from: an older one (another
    tab, a claim decided meanwhile) is refused (StaleObject) and nothing changes."""
    application = _locked(application)
    require(can_settle_inspection(actor, application), "只有评估组组长可以确定最终等级。")
    _guard(application, A.INSPECTING)
    found = _criterion(application, criterion)
    _refuse_open_claim(application, found)
    tier = _tier(tier)
    final = FinalRating.objects.filter(application=application, criterion=found).first()
    _refuse_stale(final, version, found)
    old = f"{final.tier}档" if final is not None and final.tier else ""
    if final is None:
        final = FinalRating(application=application, criterion=found)
    final.tier, final.rectify = tier, rectify
    final.remark = bounded(remark, FinalRating, "remark")
    final.version += 1
    final.save()
    audit_record(
        actor=actor,
        action="acceptance.inspection.settled",
        target=found,
        plan=application.plan_id,
        old=old,
        new=f"{tier}档",
        data={"application": application.pk, "rectify": rectify, "remark": final.remark[:100]},
    )
    return final


@transaction.atomic
def inspection_result_record(*, actor: User, application: Application | int, note: str = "") -> Application:
    """The team leader records the round's result from the settled tiers: 合格 when the form's pass
    rule holds (the application goes to 公示 for the form's notice period), otherwise 不合格 (at
    least one criterion must be marked for rectification; each becomes a rectification item and
    the plan goes to 整改中). Every applicable criterion must have its final tier."""
    application = _locked(application)
    plan = application.plan
    require(can_settle_inspection(actor, application), "只有评估组组长可以记录验收结论。")
    _guard_round(application)
    _guard(application, A.INSPECTING)
    result, finals = settled_result(application)
    application.final_score = result.score
    application.result_note = bounded(note, Application, "result_note")
    application.recorded_at = timezone.now()
    old = application.status
    if result.passed:
        _record_pass(application)
    else:
        _record_fail(application, finals, result.shortfalls)
    audit_record(
        actor=actor,
        action="acceptance.inspection.recorded",
        target=application,
        plan=plan,
        old=old,
        new=application.status,
        data={"score": str(result.score), "passed": result.passed},
    )
    verdict = "合格，进入公示" if result.passed else "不合格，请按整改项整改后申请复验"
    notify(
        recipients=_school_managers(plan),
        kind=Notification.Kind.ACCEPTANCE,
        text=f"“{plan.title}”第{application.round}轮验收结论：{verdict}（得分 {result.score}）。",
        url=_url(plan),
        plan=plan,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


def settled_result(application: Application) -> tuple[Result, dict[int, FinalRating]]:
    """The round's result from the final tiers, refused (InvalidTransition) while a school's
    not-applicable claim is undecided or an applicable criterion has no final tier."""
    result, finals = final_result(application)
    open_claims = AcceptanceCriterion.objects.filter(
        plan_id=application.plan_id, applicable=True, self_rating__not_applicable=True
    ).exclude(pk__in=[pk for pk, f in finals.items() if f.claim])
    if open_claims.exists():
        raise InvalidTransition("还有学校申报的不适用项未确认或驳回，不能记录结论。")
    if result.unrated:
        raise InvalidTransition(f"还有 {result.unrated} 项未确定最终等级，不能记录结论。")
    return result, finals


def rectification_from(application: Application, finals: dict[int, FinalRating], shortfalls: list[str]) -> int:
    """Each criterion the team marked 需整改 becomes a rectification item of the plan (at least one
    is needed to record 不合格). Returns how many."""
    to_rectify = [f for f in finals.values() if f.rectify and f.tier is not None]
    if not to_rectify:
        raise InvalidTransition(f"结论为不合格（{''.join(shortfalls)}）：请至少标记一项需整改的评估要点。")
    RectificationItem.objects.bulk_create(
        [
            RectificationItem(
                plan_id=application.plan_id, application=application, criterion_id=f.criterion_id, remark=f.remark
            )
            for f in to_rectify
        ]
    )
    return len(to_rectify)


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """``days`` working days (Monday to Friday) after ``start``. Public holidays are not known to
    the system; the bureau may extend a notice by recording an objection and its handling."""
    day = start
    left = days
    while left > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def _record_pass(application: Application) -> None:
    stored = AcceptanceForm.objects.filter(plan_id=application.plan_id).values_list("notice_days", flat=True)
    days = next(iter(stored), DEFAULT_NOTICE_DAYS)
    application.status = A.NOTICE
    application.notice_ends_on = add_working_days(timezone.localdate(), days)
    application.save(update_fields=["status", "final_score", "result_note", "recorded_at", "notice_ends_on"])


def _record_fail(application: Application, finals: dict[int, FinalRating], shortfalls: list[str]) -> None:
    rectification_from(application, finals, shortfalls)
    application.status = A.FAILED
    application.save(update_fields=["status", "final_score", "result_note", "recorded_at"])
    plan = application.plan
    PlanFlow(plan).fail()
    plan.save(update_fields=["status", "updated_at"])


@transaction.atomic
def objection_record(*, actor: User, application: Application | int, text: str, handling: str = "") -> Objection:
    """The bureau records a written objection received during the notice, and its handling."""
    application = _locked(application)
    require(can_handle_notice(actor, application.plan), "只有教育局管理员可以登记公示异议。")
    _guard(application, A.NOTICE)
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写异议内容。")
    objection = Objection.objects.create(
        application=application, text=bounded(text, Objection, "text"), handling=bounded(handling, Objection, "handling"), recorded_by=actor
    )
    audit_record(
        actor=actor,
        action="acceptance.notice.objection",
        target=application,
        plan=application.plan_id,
        data={"text": text[:100], "handling": handling[:100]},
    )
    return objection


@transaction.atomic
def acceptance_finalise(
    *, actor: User | None, application: Application | int, today: datetime.date | None = None
) -> Application:
    """When the notice period has ended, the plan is accepted (已验收) and frozen: PlanFlow moves it
    to 已验收 (COMPLETED), the application keeps the score, team and date, and gets its certificate reference.
    ``actor`` None is the system job (``manage.py acceptance_close_notices``)."""
    application = _locked(application)
    plan = application.plan
    if actor is not None and not can_handle_notice(actor, plan):
        raise NotAllowed("只有教育局管理员可以确认验收通过。")
    _guard(application, A.NOTICE)
    today = today or timezone.localdate()
    if application.notice_ends_on is not None and today <= application.notice_ends_on:
        raise InvalidTransition(f"公示期至 {application.notice_ends_on:%Y-%m-%d} 止，公示期满后才能确认验收通过。")
    old = plan.status
    PlanFlow(plan).accept()
    plan.save(update_fields=["status", "updated_at"])
    application.status = A.ACCEPTED
    application.accepted_at = timezone.now()
    application.certificate_ref = f"YS{plan.year}-{plan.pk:05d}-{secrets.token_hex(3).upper()}"
    application.save(update_fields=["status", "accepted_at", "certificate_ref"])
    audit_record(
        actor=actor,
        action="acceptance.plan.accepted",
        target=application,
        plan=plan,
        old=old,
        new=plan.status,
        data={"score": str(application.final_score), "certificate": application.certificate_ref},
    )
    notify(
        recipients=_school_managers(plan),
        kind=Notification.Kind.ACCEPTANCE,
        text=f"“{plan.title}”已通过评估验收（得分 {application.final_score}），可下载验收合格证书。",
        url=_url(plan),
        plan=plan,
    )
    transaction.on_commit(lambda: push.plan_changed(plan.pk))
    return application


REMIND_DAYS_BEFORE = 2


def inspection_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind the team and the school's leader, deputy and office of inspections due within
    REMIND_DAYS_BEFORE days. Idempotent: each inspection date is reminded once (re-setting the
    date re-arms it); concurrent runs send nothing twice (the row is locked and re-checked)."""
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=REMIND_DAYS_BEFORE)
    due = Application.objects.filter(
        status=A.INSPECTING, inspection_date__gte=today, inspection_date__lte=horizon
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if _remind(pk))


@transaction.atomic
def _remind(pk: int) -> bool:
    application = _locked(pk)
    day = application.inspection_date
    if application.status != A.INSPECTING or day is None or application.reminded_for == day:
        return False
    application.reminded_for = day
    application.save(update_fields=["reminded_for"])
    plan = application.plan
    team = [application.team_leader, *application.inspectors.all()]
    audit_record(
        actor=None,
        action="acceptance.inspection.reminded",
        target=application,
        plan=plan,
        data={"date": day.isoformat()},
    )
    notify(
        recipients=[*team, *_school_managers(plan)],
        kind=Notification.Kind.ACCEPTANCE,
        text=f"提醒：{plan.school.name}“{plan.title}”{application.round_label}{'' if application.is_spot_check else '评估验收'}定于 {day:%Y-%m-%d}。",
        url=_url(plan),
        plan=plan,
    )
    return True
