"""Reads for the history pages: audit entries in the viewer's scope (a plan, a person, every school
under an overseer), filtered by URL parameters, newest first, paged by keyset on the chain's own
sequence number (``?before=<seq>``), so later pages cost what the first does."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, QueryDict
from django.utils import timezone

from audit.labels import action_labels
from audit.models import AuditEntry
from orgs.models import Organisation, User
from orgs.selectors import visible_schools
from plans.models import Measure, Plan, Stage
from plans.selectors import visible_plans
from tasks.models import Task

PAGE_SIZE = 50


@dataclass
class HistoryFilters:
    stage: int | None = None
    measure: int | None = None
    task: int | None = None
    person: int | None = None
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    township: str = ""
    school: int | None = None
    before: int | None = None
    errors: list[str] = field(default_factory=list)

    def params(self) -> dict[str, Any]:
        """The filter as URL parameters (without the cursor)."""
        values = {
            "stage": self.stage, "measure": self.measure, "task": self.task, "person": self.person,
            "action": self.action, "from": self.date_from, "to": self.date_to, "township": self.township,
            "school": self.school,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


def _int(query: QueryDict, name: str, label: str, errors: list[str]) -> int | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdecimal():
        errors.append(f"“{label}”的值无效。")
        return None
    return int(raw)


def _date(query: QueryDict, name: str, label: str, errors: list[str]) -> datetime.date | None:
    raw = (query.get(name) or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"“{label}”不是有效的日期（应为 YYYY-MM-DD）。")
        return None


def parse_filters(query: QueryDict) -> HistoryFilters:
    errors: list[str] = []
    f = HistoryFilters(
        stage=_int(query, "stage", "阶段", errors),
        measure=_int(query, "measure", "措施", errors),
        task=_int(query, "task", "任务", errors),
        person=_int(query, "person", "人员", errors),
        action=(query.get("action") or "").strip(),
        date_from=_date(query, "from", "开始日期", errors),
        date_to=_date(query, "to", "结束日期", errors),
        township=(query.get("township") or "").strip()[:50],
        school=_int(query, "school", "学校", errors),
        before=_int(query, "before", "页码", errors),
    )
    if f.action and f.action not in action_labels():
        errors.append("“动作”的值无效。")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        errors.append("开始日期晚于结束日期，请调整日期范围。")
    f.errors = errors
    return f


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered(entries: QuerySet[AuditEntry], f: HistoryFilters, plan_ids: Any) -> QuerySet[AuditEntry]:
    """Apply the filters; stage, measure and task values outside ``plan_ids`` match nothing.

    A date range also becomes a range of sequence numbers, so that the page walks the ``seq``
    indexes from the range's end instead of sorting every entry of the range: entries are numbered
    and timed under the chain's lock (audit.chain), so times never run backwards along the
    sequence, and the first and last entry of the range by time (``created_at`` index) bound it."""
    entries = entries.filter(seq__isnull=False)
    if f.task is not None:
        entries = entries.filter(target_type="tasks.task", target_id=f.task)
    if f.measure is not None:
        tasks = Task.objects.filter(measure_id=f.measure, plan_id__in=plan_ids).values("pk")
        entries = entries.filter(
            Q(target_type="tasks.task", target_id__in=tasks) | Q(target_type="plans.measure", target_id=f.measure)
        )
    if f.stage is not None:
        tasks = Task.objects.filter(measure__stage_id=f.stage, plan_id__in=plan_ids).values("pk")
        measures = Measure.objects.filter(stage_id=f.stage).values("pk")
        entries = entries.filter(
            Q(target_type="tasks.task", target_id__in=tasks)
            | Q(target_type="plans.measure", target_id__in=measures)
            | Q(target_type="plans.stage", target_id=f.stage)
        )
    if f.person is not None:
        entries = entries.filter(actor_id=f.person)
    if f.action:
        entries = entries.filter(action=f.action)
    if f.date_from:
        start = _day_start(f.date_from)
        first = AuditEntry.objects.filter(created_at__gte=start).order_by("created_at", "seq").values_list("seq", flat=True)
        entries = entries.filter(created_at__gte=start, seq__gte=_bound(first, none=NO_SEQ_ABOVE))
    if f.date_to:
        end = _day_start(f.date_to + datetime.timedelta(days=1))
        last = AuditEntry.objects.filter(created_at__lt=end).order_by("-created_at", "-seq").values_list("seq", flat=True)
        entries = entries.filter(created_at__lt=end, seq__lte=_bound(last, none=0))
    return entries


NO_SEQ_ABOVE = 2**63 - 1


def _bound(seqs: QuerySet[AuditEntry, int | None], none: int) -> int:
    """The first sequence number of an ordered query, as a number (one indexed lookup): as a literal
    the planner sees how many entries the range holds; as a subquery it guessed a handful and
    sorted every match. ``none`` when no entry is in the range (a bound nothing passes)."""
    value = seqs.first()
    return value if value is not None else none


def plan_entries(plan: Plan, f: HistoryFilters) -> QuerySet[AuditEntry]:
    """A plan's full history (the caller has checked that the viewer may see the plan)."""
    return filtered(AuditEntry.objects.filter(plan_id=plan.pk), f, [plan.pk])


def county_plans(user: Any, f: HistoryFilters) -> QuerySet[Plan]:
    """The plans of every school under an overseer, narrowed by township and school. A school the
    viewer may not see answers 404."""
    schools = visible_schools(user)
    if f.school is not None:
        if not schools.filter(pk=f.school).exists():
            raise Http404("没有找到该学校。")
        schools = schools.filter(pk=f.school)
    if f.township:
        schools = schools.filter(township=f.township)
    return Plan.objects.filter(school__in=schools)


def county_entries(user: Any, f: HistoryFilters) -> QuerySet[AuditEntry]:
    # The plan ids as a list (hundreds, not millions): the planner then knows how many it filters
    # on and walks the (plan_id, seq) / seq indexes instead of sorting every matching row.
    plans = list(county_plans(user, f).values_list("pk", flat=True))
    return filtered(AuditEntry.objects.filter(plan_id__in=plans), f, plans)


def person_for(viewer: Any, pk: int) -> User:
    """A person the viewer may see: someone of an organisation the viewer sees, or the viewer."""
    from orgs.selectors import visible_organisations

    if pk == viewer.pk:
        return User.objects.select_related("organisation").get(pk=pk)
    person = (
        User.objects.select_related("organisation")
        .filter(pk=pk, organisation__in=visible_organisations(viewer))
        .first()
    )
    if person is None:
        raise Http404("没有找到该人员。")
    return person


def person_entries(viewer: Any, person: User, f: HistoryFilters) -> QuerySet[AuditEntry]:
    """What a person did, in the plans the viewer may see."""
    plans = list(visible_plans(viewer).values_list("pk", flat=True))
    f.person = None  # the person is the page's subject, not a filter
    return filtered(AuditEntry.objects.filter(actor=person, plan_id__in=plans), f, plans)


def page(entries: QuerySet[AuditEntry], before: int | None, size: int = PAGE_SIZE) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first, after the cursor; and the next page's cursor (None on the last)."""
    if before is not None:
        entries = entries.filter(seq__lt=before)
    rows = list(entries.select_related("actor").order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].seq if more and rows else None)


def plan_choices(plan: Plan) -> dict[str, Any]:
    """The plan page's filter choices: stages, measures, tasks, people with a seat or a history."""
    actors = AuditEntry.objects.filter(plan_id=plan.pk, actor__isnull=False).values("actor_id").distinct()
    return {
        "stages": list(Stage.objects.filter(plan=plan).order_by("order", "id").values_list("pk", "name")),
        "measures": list(Measure.objects.filter(stage__plan=plan).order_by("stage__order", "order", "id").values_list("pk", "title")),
        "tasks": list(Task.objects.filter(plan=plan).order_by("order", "id").values_list("pk", "title")),
        "people": [(u.pk, str(u)) for u in User.objects.filter(pk__in=actors).order_by("username")],
    }


def county_choices(user: Any) -> dict[str, Any]:
    schools = visible_schools(user)
    townships = sorted({t for t in schools.values_list("township", flat=True) if t})
    return {"townships": townships, "schools": list(schools.order_by("code").values_list("pk", "name"))}


def school_names(plan_ids: set[int]) -> dict[int, str]:
    return dict(Plan.objects.filter(pk__in=plan_ids).values_list("pk", "school__name"))


def organisation_label(org: Organisation | None) -> str:
    return org.name if org else ""
