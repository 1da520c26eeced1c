"""Each audit entry as something a person reads: who (name and seat), what (the action's label, the
task, stage, measure or indicator by its title, with a link), from and to which state, why, when
(local time). Pages and the xlsx export use the same rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from audit.labels import action_label
from audit.models import AuditEntry
from orgs.models import User
from plans.models import Indicator, LeadingGroupMember, Measure, Plan, Stage
from tasks.models import Task

WAIVED = "已豁免"
# Actions whose text is a reason (退回, 重新打开, 豁免 ...); for the others it is a note (提交说明, 审核意见).
CANCELLED = "已取消"
REASON_ACTIONS = {
    "tasks.task.returned",
    "tasks.task.reopened",
    "tasks.task.waived",
    "tasks.task.cancelled",
    "tasks.comment.withdrawn",
    "plans.indicator.voided",
    "plans.measure.cancelled",
}
READING_ACTIONS = {"plans.indicator.reported", "plans.indicator.voided"}


def _state_labels() -> dict[str, dict[str, str]]:
    return {
        "tasks.task": dict(Task.Status.choices),
        "plans.plan": dict(Plan.Status.choices),
        "plans.stage": dict(Stage.Status.choices),
        "plans.leadinggroupmember": dict(LeadingGroupMember.Role.choices),
    }


@dataclass
class Line:
    entry: AuditEntry
    when: Any  # aware local datetime
    who: str
    seat: str
    label: str
    subject: str
    subject_url: str
    from_label: str
    to_label: str
    reason: str
    detail: str
    school: str
    reason_label: str = "原因"

    @property
    def sentence(self) -> str:
        who = f"{self.who}({self.seat})" if self.seat else self.who
        text = f"{who}{self.label}"
        if self.subject:
            text += f"“{self.subject}”"
        if self.from_label and self.to_label and self.from_label != self.to_label:
            text += f"，由“{self.from_label}”改为“{self.to_label}”"
        elif self.to_label:
            text += f"，状态为“{self.to_label}”"
        if self.detail:
            text += f",{self.detail}"
        if self.reason:
            text += f",{self.reason_label}:{self.reason}"
        return text + "。"


def line_html(line: Line, county: bool) -> SafeString:
    """One entry of the history list as HTML. Built here rather than in the template: fifty entries
    of a dozen template nodes each cost the page more than its queries (see BENCHMARKS.md)."""
    who = f"<strong>{escape(line.who)}</strong>" + (f"({escape(line.seat)})" if line.seat else "")
    text = who + escape(line.label)
    if line.subject:
        subject = escape(line.subject)
        if line.subject_url:
            subject = f'<a href="{escape(line.subject_url)}">{subject}</a>'
        text += f"“{subject}”"
    if line.from_label and line.to_label and line.from_label != line.to_label:
        text += f"，由“{escape(line.from_label)}”改为“{escape(line.to_label)}”"
    elif line.to_label:
        text += f"，状态为“{escape(line.to_label)}”"
    if line.detail:
        text += f",{escape(line.detail)}"
    if line.reason:
        text += f",{escape(line.reason_label)}:{escape(line.reason)}"
    school = f' <span class="muted small">{escape(line.school)}</span>' if county and line.school else ""
    return mark_safe(  # noqa: S308 - every value above is escaped
        f'<li class="history-entry"><time class="muted small" datetime="{line.when.isoformat()}">'
        f'{line.when:%Y-%m-%d %H:%M:%S}</time>{school}<p>{text}。</p></li>'
    )


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _reason_label(action: str) -> str:
    if action == "plans.stage.completed":
        return "签署意见"
    return "原因" if action in REASON_ACTIONS or action.endswith(".removed") else "说明"


def _titles(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    ids: dict[str, set[int]] = defaultdict(set)
    for e in entries:
        ids[e.target_type].add(e.target_id)
    titles: dict[tuple[str, int], str] = {}
    for label, model, field in (
        ("tasks.task", Task, "title"),
        ("plans.stage", Stage, "name"),
        ("plans.measure", Measure, "title"),
        ("plans.indicator", Indicator, "name"),
        ("plans.plan", Plan, "title"),
    ):
        pks = ids.pop(label, set())
        if pks:
            titles |= {(label, pk): t for pk, t in model.objects.filter(pk__in=pks).values_list("pk", field)}
    # Everything else (acceptance ratings and items, accounts, …): the object's own name, read in one
    # query per kind with the relations its name uses.
    for label, pks in ids.items():
        try:
            other = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        related = [name for name in ("criterion", "plan__school", "user") if _has_path(other, name)]
        for obj in other.objects.filter(pk__in=pks).select_related(*related):
            titles[(label, obj.pk)] = str(obj)[:60]
    return titles


def _has_path(model: Any, path: str) -> bool:
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist and friends: the path is not there
            return False
        if not field.is_relation or field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return True


def _seats(entries: list[AuditEntry]) -> dict[tuple[int, int], str]:
    pairs = {(e.plan_id, e.actor_id) for e in entries if e.plan_id and e.actor_id}
    if not pairs:
        return {}
    roles = dict(LeadingGroupMember.Role.choices)
    rows = LeadingGroupMember.objects.filter(
        plan_id__in={p for p, _ in pairs}, user_id__in={u for _, u in pairs}
    ).values_list("plan_id", "user_id", "role")
    return {(p, u): roles.get(r, r) for p, u, r in rows}


def _url(target_type: str, target_id: int, plan_id: int | None) -> str:
    if target_type == "tasks.task":
        return reverse("tasks:task_detail", args=[target_id])
    if plan_id and target_type in ("plans.plan", "plans.stage", "plans.measure"):
        return reverse("plans:plan_detail", args=[plan_id])
    return ""


def describe(entries: list[AuditEntry], schools: dict[int, str] | None = None) -> list[Line]:
    """Readable lines for entries (actors loaded), in a fixed number of queries."""
    titles, seats, states = _titles(entries), _seats(entries), _state_labels()
    task_ids = {e.target_id for e in entries if e.target_type == "tasks.task"}
    existing_tasks = set(Task.objects.filter(pk__in=task_ids).values_list("pk", flat=True))
    lines = []
    for e in entries:
        actor: User | None = e.actor
        labels = states.get(e.target_type, {})
        data = e.data if isinstance(e.data, dict) else {}
        subject = titles.get((e.target_type, e.target_id), "")
        detail = ""
        if e.action in READING_ACTIONS:
            subject = str(data.get("name") or subject)
            value = data.get("value", e.to_state or e.from_state)
            detail = f"实际值 {value}" if e.action == "plans.indicator.reported" else f"作废实际值 {value} 的读数"
            if data.get("measured_on"):
                detail += f"（测量日期 {data['measured_on']}）"
        elif e.action == "tasks.evidence.added" and data.get("name"):
            detail = f"文件“{data['name']}”"
        elif e.action in ("tasks.comment.added", "tasks.comment.withdrawn") and data.get("body"):
            detail = f"评论原文“{_excerpt(str(data['body']))}”"
        from_label = labels.get(e.from_state, e.from_state) if e.target_type in states else ""
        to_label = labels.get(e.to_state, e.to_state) if e.target_type in states else ""
        if e.action == "tasks.task.waived":
            to_label = WAIVED
        elif e.action == "tasks.task.cancelled":
            to_label = CANCELLED
        if e.action in READING_ACTIONS:
            from_label = to_label = ""
        url = ""
        if e.target_type != "tasks.task" or e.target_id in existing_tasks:
            url = _url(e.target_type, e.target_id, e.plan_id)
        if e.action in READING_ACTIONS and str(data.get("indicator", "")).isdecimal():
            url = reverse("dashboards:indicator", args=[int(data["indicator"])])
        lines.append(
            Line(
                entry=e,
                when=timezone.localtime(e.created_at),
                who=str(actor) if actor else "系统",
                seat=seats.get((e.plan_id or 0, e.actor_id or 0), "") or (actor.position if actor else ""),
                label=action_label(e.action),
                subject=subject or ("" if e.target_type == "orgs.organisation" else f"#{e.target_id}"),
                subject_url=url,
                from_label=from_label,
                to_label=to_label,
                reason=e.reason.strip().rstrip("。."),
                detail=detail,
                school=(schools or {}).get(e.plan_id or 0, ""),
                reason_label=_reason_label(e.action),
            )
        )
    return lines
