"""Reads about a plan's acceptance: the form's rules, the self-assessment scored, what still blocks
the application. Callers fetch the plan through plans.selectors.visible_plans (or check
acceptance.permissions.can_view_acceptance) first; these functions read one plan's rows only."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from acceptance.models import (
    DEFAULT_TIER_FRACTIONS,
    AcceptanceCriterion,
    AcceptanceForm,
    Application,
    FinalRating,
    InspectorRating,
    RectificationItem,
    SelfRating,
)
from acceptance.permissions import city_over
from acceptance.rules import application_blockers
from acceptance.scoring import Line, PassRule, Result, score, tier_points
from orgs.models import Organisation, User
from plans.models import IndicatorReading, Plan, Stage
from tasks.models import Evidence, Task


@dataclass(frozen=True)
class FormRules:
    fractions: tuple[Decimal, Decimal, Decimal, Decimal]
    rule: PassRule
    stored: bool  # False: the plan has no AcceptanceForm row and uses the defaults


def form_rules(plan: Plan) -> FormRules:
    """The plan's tier fractions and pass rule (the defaults while the bureau set none)."""
    form = AcceptanceForm.objects.filter(plan=plan).first()
    if form is None:
        return FormRules(DEFAULT_TIER_FRACTIONS, PassRule(), stored=False)
    fractions = (form.tier1_fraction, form.tier2_fraction, form.tier3_fraction, form.tier4_fraction)
    rule = PassRule(
        kind=form.pass_rule,
        pass_mark=form.pass_mark,
        min_tier1=form.min_tier1,
        max_tier3=form.max_tier3,
        max_tier4=form.max_tier4,
    )
    return FormRules(fractions, rule, stored=True)


@dataclass
class SelfRow:
    criterion: AcceptanceCriterion
    rating: SelfRating | None
    points: tuple[Decimal, Decimal, Decimal, Decimal]

    @property
    def applicable(self) -> bool:
        return self.criterion.applicable and not (self.rating is not None and self.rating.not_applicable)

    @property
    def tier(self) -> int | None:
        return self.rating.tier if self.rating is not None else None

    @property
    def earned(self) -> Decimal | None:
        return self.points[self.tier - 1] if self.applicable and self.tier else None

    @property
    def line(self) -> Line:
        return Line(tier_points=self.points, tier=self.tier, applicable=self.applicable)


@dataclass
class SelfAssessment:
    rules: FormRules
    rows: list[SelfRow] = field(default_factory=list)
    result: Result | None = None

    @property
    def unrated(self) -> list[SelfRow]:
        return [row for row in self.rows if row.applicable and row.tier is None]


def self_assessment(plan: Plan) -> SelfAssessment:
    """The plan's criteria with the school's ratings, each line's tier points, and the running
    score (a school's not-applicable claim leaves the line out of its own score). Three queries."""
    rules = form_rules(plan)
    criteria = (
        AcceptanceCriterion.objects.filter(plan=plan)
        .select_related("self_rating", "self_rating__rated_by")
        .prefetch_related(
            Prefetch("self_rating__evidence"),
            Prefetch("self_rating__readings"),
        )
        .order_by("order", "id")
    )
    rows = []
    for criterion in criteria:
        rating = getattr(criterion, "self_rating", None)
        overrides = (criterion.tier2_points, criterion.tier3_points, criterion.tier4_points)
        rows.append(SelfRow(criterion, rating, tier_points(criterion.max_score, rules.fractions, overrides)))
    assessment = SelfAssessment(rules=rules, rows=rows)
    assessment.result = score((row.line for row in rows), rules.rule)
    return assessment


def acceptance_progress(plan: Plan) -> tuple[int, int]:
    """(gates before the last stage not yet signed, tasks of the last stage not closed)."""
    stages = list(plan.stages.order_by("order").values_list("pk", "status"))
    if not stages:
        return 0, 0
    unsigned = sum(1 for _, status in stages[:-1] if status != Stage.Status.COMPLETED)
    open_tasks = Task.objects.filter(measure__stage_id=stages[-1][0]).exclude(status=Task.Status.CLOSED).count()
    return unsigned, open_tasks


def application_status(user: Any, plan: Plan, assessment: SelfAssessment) -> list[str]:
    """Every reason ``user`` may not apply for acceptance now, in words a principal reads."""
    unsigned, open_tasks = acceptance_progress(plan)
    blockers = application_blockers(user, plan, unsigned, open_tasks, assessment.result, open_rectification(plan))
    return [b.message for b in blockers]


def plan_applications(plan: Plan) -> list[Application]:
    """The school's 请验/复验 rounds, newest first (spot checks: spot_checks)."""
    return list(
        Application.objects.filter(plan=plan, kind=Application.Kind.ROUND)
        .select_related("applied_by")
        .order_by("-round")
    )


def evidence_choices(plan: Plan) -> tuple[list[Evidence], list[IndicatorReading]]:
    """The plan's task evidence and indicator readings a self-rating may link to."""
    evidence = list(
        Evidence.objects.filter(task__plan=plan).select_related("task").order_by("task__title", "original_name")
    )
    readings = list(
        IndicatorReading.objects.filter(indicator__plan=plan)
        .select_related("indicator")
        .order_by("indicator__order", "-measured_on")
    )
    return evidence, readings


def bureau_staff(plan: Plan) -> list[Any]:
    """Active users of the bureau over the plan's school and of its supervision office(s): who is
    told when the school applies."""
    bureau = next((org for org in plan.school.ancestors() if org.kind == Organisation.Kind.BUREAU), None)
    if bureau is None:
        return []
    return list(
        User.objects.filter(is_active=True)
        .filter(
            organisation__in=Organisation.objects.filter(pk=bureau.pk)
            | Organisation.objects.filter(parent=bureau, kind=Organisation.Kind.SUPERVISION)
        )
        .order_by("pk")
    )


def latest_application(plan: Plan) -> Application | None:
    """The plan's latest 请验/复验 round (the county's; spot checks are read by spot_checks)."""
    return Application.objects.filter(plan=plan, kind=Application.Kind.ROUND).order_by("-round").first()


def spot_checks(plan: Plan) -> list[Application]:
    """The city's spot checks (抽检) of the plan, newest first, with their teams."""
    return list(
        Application.objects.filter(plan=plan, kind=Application.Kind.SPOT)
        .select_related("applied_by", "team_leader")
        .prefetch_related("inspectors")
        .order_by("-round")
    )


def city_staff(plan: Plan) -> list[User]:
    """Who may be put on a spot check's team: active staff of the city above the plan's school."""
    city = city_over(plan)
    if city is None:
        return []
    return list(User.objects.filter(is_active=True, organisation=city).order_by("pk"))


def certificate_void(application: Application) -> bool:
    """Is the accepted round's certificate void, a later spot check having found the plan 不合格?"""
    return Application.objects.filter(
        plan_id=application.plan_id,
        kind=Application.Kind.SPOT,
        status=Application.Status.FAILED,
        round__gt=application.round,
    ).exists()


def criterion_lines(
    plan: Plan, rules: FormRules
) -> list[tuple[AcceptanceCriterion, tuple[Decimal, Decimal, Decimal, Decimal]]]:
    criteria = AcceptanceCriterion.objects.filter(plan=plan).order_by("order", "id")
    return [
        (c, tier_points(c.max_score, rules.fractions, (c.tier2_points, c.tier3_points, c.tier4_points)))
        for c in criteria
    ]


def final_result(application: Application) -> tuple[Result, dict[int, FinalRating]]:
    """The round's settled score: the team leader's final tiers, a confirmed not-applicable claim
    (or the form's own) leaving the line out. Returns the result and the finals by criterion id."""
    rules = form_rules(application.plan)
    finals = {f.criterion_id: f for f in FinalRating.objects.filter(application=application)}
    return _settled(criterion_lines(application.plan, rules), finals, rules), finals


def _settled(
    lines: list[tuple[AcceptanceCriterion, tuple[Decimal, Decimal, Decimal, Decimal]]],
    finals: dict[int, FinalRating],
    rules: FormRules,
) -> Result:
    scored = []
    for criterion, points in lines:
        final = finals.get(criterion.pk)
        confirmed = final is not None and final.claim == FinalRating.Claim.CONFIRMED
        tier = final.tier if final is not None else None
        scored.append(Line(tier_points=points, tier=tier, applicable=criterion.applicable and not confirmed))
    return score(scored, rules.rule)


def open_rectification(plan: Plan) -> int:
    return RectificationItem.objects.filter(plan=plan).exclude(status=RectificationItem.Status.CLOSED).count()


@dataclass
class BoardRow:
    criterion: AcceptanceCriterion
    points: tuple[Decimal, Decimal, Decimal, Decimal]
    self_rating: SelfRating | None
    ratings: list[InspectorRating | None]
    mine: InspectorRating | None
    final: FinalRating | None

    @property
    def claimed_na(self) -> bool:
        return self.self_rating is not None and self.self_rating.not_applicable


@dataclass
class Board:
    application: Application
    team: list[User]
    rows: list[BoardRow]
    result: Result


def inspection_board(application: Application, user: Any) -> Board:
    """Every criterion with the school's self-rating, each inspector's rating side by side (team
    order: leader first), the user's own rating and the settled final. A constant number of
    queries whatever the number of criteria and inspectors."""
    leader = [application.team_leader] if application.team_leader else []
    team = leader + list(application.inspectors.order_by("pk"))
    ratings: dict[tuple[int, int], InspectorRating] = {
        (r.criterion_id, r.inspector_id): r for r in InspectorRating.objects.filter(application=application)
    }
    # The form's rules and criteria are read once, for the score and for the rows alike.
    rules = form_rules(application.plan)
    lines = criterion_lines(application.plan, rules)
    finals = {f.criterion_id: f for f in FinalRating.objects.filter(application=application)}
    result = _settled(lines, finals, rules)
    selfs = {s.criterion_id: s for s in SelfRating.objects.filter(criterion__plan_id=application.plan_id)}
    rows = []
    for criterion, points in lines:
        rows.append(
            BoardRow(
                criterion=criterion,
                points=points,
                self_rating=selfs.get(criterion.pk),
                ratings=[ratings.get((criterion.pk, member.pk)) for member in team],
                mine=ratings.get((criterion.pk, getattr(user, "pk", 0))),
                final=finals.get(criterion.pk),
            )
        )
    return Board(application=application, team=team, rows=rows, result=result)


def team_choices(plan: Plan) -> list[User]:
    """Who may be put on the plan's inspection team: active staff of its bureau and supervision office."""
    return [user for user in bureau_staff(plan) if user.bureau_role]


def rectification_items(plan: Plan) -> list[RectificationItem]:
    return list(
        RectificationItem.objects.filter(plan=plan)
        .select_related("criterion", "owner", "application")
        .order_by("-application__round", "criterion__order", "pk")
    )


def seat_users(plan: Plan) -> list[User]:
    return [seat.user for seat in plan.leading_group.select_related("user").order_by("role", "pk")]
