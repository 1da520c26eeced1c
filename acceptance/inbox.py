"""acceptance's sections of 我的待办 (workflows.inbox, declared in acceptance.apps): the
inspections a bureau user rates or, as team leader, settles; the rectification items a school
user owns; the items the school's office must assign or review. Only rows the user may see and
act on (visible plans, the team, the leading group's grants)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from acceptance.models import Application, RectificationItem
from core import sqlmemo
from orgs.permissions import is_bureau_user, is_city_user
from plans.models import Plan
from plans.selectors import visible_plans
from tasks.selectors import work_grants
from workflows.inbox import InboxEntry, InboxSection

RS = RectificationItem.Status


def inspections_waiting(user: Any) -> QuerySet[Application]:
    """Applications under inspection (验收中) whose team the user leads or sits on."""
    on_team = Q(team_leader=user) | Q(
        pk__in=Application.inspectors.through.objects.filter(user=user).values("application_id")
    )
    return Application.objects.filter(on_team, status=Application.Status.INSPECTING, plan__in=visible_plans(user))


def items_owned(user: Any) -> QuerySet[RectificationItem]:
    """Rectification items the user must do (整改中, the plan still rectifying)."""
    return RectificationItem.objects.filter(
        owner=user, status=RS.ASSIGNED, plan__status=Plan.Status.RECTIFYING, plan__in=visible_plans(user)
    )


def items_to_handle(user: Any) -> QuerySet[RectificationItem]:
    """Items of plans the user manages (组长, 副组长, 办公室) waiting to be assigned or reviewed."""
    managed = work_grants(user)["manage_plan_tasks"]
    if not managed:
        return RectificationItem.objects.none()
    return RectificationItem.objects.filter(
        plan_id__in=managed, status__in=(RS.OPEN, RS.SUBMITTED), plan__status=Plan.Status.RECTIFYING
    )


def inbox_count_parts(user: Any) -> list[sqlmemo.CountPart]:
    """The header's counts (workflows.inbox adds them up with the others in one query). Inspection
    teams are bureau staff and rectification items belong to school seats (acceptance.services
    refuse anyone else), so a bureau user is asked only about inspections, anyone else only about
    items: the item lists counted together (their rows never overlap). A city's staff are asked
    about their spot checks (抽检), which are inspections too. Each part's SQL is compiled once
    per process for what fixes its text (core.sqlmemo) and read afresh every time."""
    superuser = bool(user.is_superuser)
    if is_bureau_user(user) or is_city_user(user):
        return [(("acceptance.inspections", user.pk, superuser), lambda: inspections_waiting(user))]
    managed = tuple(sorted(work_grants(user)["manage_plan_tasks"]))

    def items() -> QuerySet[Any]:
        # order_by(): the models' default ordering is not allowed inside a UNION's parts.
        owned = items_owned(user).order_by().values_list("pk")
        if not managed:
            return owned
        return owned.union(items_to_handle(user).order_by().values_list("pk"), all=True)

    return [(("acceptance.items", user.pk, superuser, managed), items)]


def inbox_count(user: Any) -> int:
    """The header's share of these sections, on its own (one query)."""
    return sqlmemo.count_sum(inbox_count_parts(user))


def _item_url(item: RectificationItem) -> str:
    return reverse("acceptance:plan_acceptance", args=[item.plan_id]) + f"#rectification-{item.pk}"


def inbox_sections(user: Any) -> list[InboxSection]:
    """As ``inbox_count``: inspectors (county and city staff) are asked only about inspections,
    anyone else only about rectification items (no query for what the user can never hold)."""
    today = timezone.localdate()
    inspecting = is_bureau_user(user) or is_city_user(user)
    waiting = inspections_waiting(user) if inspecting else Application.objects.none()
    inspections = waiting.select_related("plan__school").order_by(F("inspection_date").asc(nulls_last=True), "pk")
    owned = (RectificationItem.objects.none() if inspecting else items_owned(user)).select_related(
        "plan__school", "criterion"
    )
    owned = owned.order_by(F("due_on").asc(nulls_last=True), "pk")
    handled = (RectificationItem.objects.none() if inspecting else items_to_handle(user)).select_related(
        "plan__school", "criterion", "owner"
    )
    handled = handled.order_by("status", "pk")
    return [
        InboxSection(
            "inspections",
            "我的评估任务",
            "待我评估",
            [
                InboxEntry(
                    title=f"{app.plan.school.name} · {app.round_label}{'评分' if app.is_spot_check else '验收评分'}",
                    url=reverse("acceptance:inspection", args=[app.pk]),
                    detail=app.plan.title,
                    badge="组长：评分并确定结论" if app.team_leader_id == user.pk else "待评分",
                    due_on=app.inspection_date,
                )
                for app in inspections
            ],
        ),
        InboxSection(
            "rectification-mine",
            "我的整改项",
            "待我整改",
            [
                InboxEntry(
                    title=item.criterion.point[:60],
                    url=_item_url(item),
                    detail=f"{item.plan.school.name} · {item.plan.title}",
                    badge="已逾期" if item.due_on and item.due_on < today else "整改中",
                    due_on=item.due_on,
                    overdue=bool(item.due_on and item.due_on < today),
                )
                for item in owned
            ],
        ),
        InboxSection(
            "rectification-handle",
            "待分派或审核的整改项",
            "整改待办",
            [
                InboxEntry(
                    title=item.criterion.point[:60],
                    url=_item_url(item),
                    detail=f"{item.plan.school.name} · {item.plan.title}"
                    + (f" · 责任人 {item.owner}" if item.owner_id else ""),
                    badge="待分派" if item.status == RS.OPEN else "待审核",
                    due_on=item.due_on,
                )
                for item in handled
            ],
        ),
    ]
