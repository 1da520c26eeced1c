"""The bureau's acceptance overview: every visible school's plan with its acceptance state, scores
and rectification items, filtered and sorted by URL parameters. A constant number of queries
whatever the number of schools (one query with subqueries, one for the inspector's own list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from acceptance.models import Application, RectificationItem
from plans.selectors import visible_plans

NOT_APPLIED = "none"
OVERVIEW_PAGE_SIZE = 100  # rows a page; a county has hundreds of schools
SCORE = DecimalField(max_digits=6, decimal_places=2)
STATES = {
    NOT_APPLIED: "未申请",
    Application.Status.APPLIED: "已申请",
    Application.Status.INSPECTING: "验收中",
    Application.Status.FAILED: "整改中",
    Application.Status.NOTICE: "公示中",
    Application.Status.ACCEPTED: "已验收",
}
SORTS = {
    "school": lambda r: (r.school, r.plan_id),
    "state": lambda r: (list(STATES).index(r.state), r.school),
    "self": lambda r: (r.self_score is None, -(r.self_score or 0), r.school),
    "score": lambda r: (r.final_score is None, -(r.final_score or 0), r.school),
    "open": lambda r: (-r.open_items, -r.overdue_items, r.school),
}


@dataclass
class OverviewRow:
    plan_id: int
    school: str
    township: str
    title: str
    state: str
    round: int | None
    self_score: Decimal | None
    final_score: Decimal | None
    open_items: int
    overdue_items: int
    # Filled in by acceptance_overview: what the page prints, computed once per row in Python
    # rather than by a {% url %} and two floatformat filters per row in the template.
    url: str = ""
    self_text: str = "—"
    final_text: str = "—"
    # Set by the view for the rows of the page: (template, value) offered by apps above.
    badges: list[tuple[str, Any]] = field(default_factory=list)
    # The latest city spot check (抽检): its status ("" for none) and what the page prints.
    spot_state: str = ""
    spot_text: str = "—"

    @property
    def state_label(self) -> str:
        return STATES[self.state]


def score_text(score: Decimal | None) -> str:
    """A score as the page prints it: two decimals, none for a whole number ("—" for no score)."""
    if score is None:
        return "—"
    text = f"{score:.2f}"
    return text[:-3] if text.endswith(".00") else text


def _count(queryset: Any) -> Coalesce:
    counted = queryset.values("plan").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def acceptance_overview(
    user: Any, state: str = "", township: str = "", q: str = "", sort: str = "school"
) -> list[OverviewRow]:
    """The rows the user may see (plans.selectors.visible_plans), filtered by acceptance state,
    township and a name search, sorted by one of SORTS."""
    latest = Application.objects.filter(plan=OuterRef("pk"), kind=Application.Kind.ROUND).order_by("-round")
    spot = Application.objects.filter(plan=OuterRef("pk"), kind=Application.Kind.SPOT).order_by("-round")
    items = RectificationItem.objects.filter(plan=OuterRef("pk")).exclude(status=RectificationItem.Status.CLOSED)
    today = timezone.localdate()
    plans = (
        visible_plans(user)
        .annotate(
            app_status=Subquery(latest.values("status")[:1]),
            app_round=Subquery(latest.values("round")[:1]),
            app_self=Subquery(latest.values("self_score")[:1], output_field=SCORE),
            app_final=Subquery(latest.values("final_score")[:1], output_field=SCORE),
            spot_status=Subquery(spot.values("status")[:1]),
            spot_round=Subquery(spot.values("round")[:1]),
            spot_final=Subquery(spot.values("final_score")[:1], output_field=SCORE),
            open_items=_count(items),
            overdue_items=_count(items.filter(due_on__lt=today)),
        )
        .values_list(
            "pk",
            "school__name",
            "school__township",
            "title",
            "app_status",
            "app_round",
            "app_self",
            "app_final",
            "open_items",
            "overdue_items",
            "spot_status",
            "spot_round",
            "spot_final",
        )
    )
    if township:
        plans = plans.filter(school__township=township)
    if q:
        plans = plans.filter(Q(school__name__icontains=q) | Q(title__icontains=q))
    # One reverse() for the whole page: every row's link differs only by the plan id.
    url = reverse("acceptance:plan_acceptance", args=[0]).replace("/0/", "/{}/")
    rows = [
        OverviewRow(
            pk,
            school,
            town,
            title,
            _state(status, rnd, spot_status, spot_round),
            rnd,
            self_score,
            final,
            open_n,
            overdue_n,
            url.format(pk),
            score_text(self_score),
            score_text(final),
            spot_state=spot_status or "",
            spot_text=_spot_text(spot_status, spot_final),
        )
        for (
            pk,
            school,
            town,
            title,
            status,
            rnd,
            self_score,
            final,
            open_n,
            overdue_n,
            spot_status,
            spot_round,
            spot_final,
        ) in plans
    ]
    if state in STATES:
        rows = [row for row in rows if row.state == state]
    rows.sort(key=SORTS.get(sort, SORTS["school"]))
    return rows


def _state(round_status: str | None, rnd: int | None, spot_status: str | None, spot_round: int | None) -> str:
    """A failed spot check takes an accepted plan back to 整改中 until its 复验 (a later round)."""
    failed = spot_status == Application.Status.FAILED and (spot_round or 0) > (rnd or 0)
    if round_status == Application.Status.ACCEPTED and failed:
        return Application.Status.FAILED
    return round_status or NOT_APPLIED


def _spot_text(status: str | None, final: Decimal | None) -> str:
    if not status:
        return "—"
    if status == Application.Status.INSPECTING:
        return "抽检中"
    verdict = "合格" if status == Application.Status.PASSED else "不合格"
    return f"{verdict}（{score_text(final)} 分）"


def my_inspections(user: Any) -> list[Application]:
    """Applications the user inspects that wait for ratings (the inspector's inbox)."""
    return list(
        Application.objects.filter(status=Application.Status.INSPECTING, plan__in=visible_plans(user))
        .filter(Q(team_leader=user) | Q(inspectors=user))
        .select_related("plan__school")
        .distinct()
        .order_by("inspection_date", "pk")
    )


def townships(rows_source: Any) -> list[str]:
    return sorted(
        set(visible_plans(rows_source).exclude(school__township="").values_list("school__township", flat=True))
    )
