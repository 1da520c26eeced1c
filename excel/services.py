"""Writes for Excel import: the dry run record, the confirmed import, templates and their issue.

The order is always: inspect the file, parse it, resolve it against the database (all outside any
transaction: parsing is slow and must never hold a lock), then one transaction that writes
everything through the plans, tasks and acceptance services or nothing at all.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone

from acceptance import services as acceptance_services
from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from core.text import bounded
from excel import permissions
from excel.importer import Resolution, Target, resolve
from excel.models import WorkbookImport
from excel.reader import ReadResult, read_workbook
from excel.safety import inspect_workbook
from excel.spec import Problem, TaskItem, WorkbookSpec, problems_from_json, problems_to_json
from orgs.models import Organisation, User
from plans import services as plan_services
from plans.models import Measure, Plan, PlanTemplate, Stage, TemplateIssue, WorkingGroup
from plans.permissions import can_manage_plan_tasks
from tasks.services import NewTask, tasks_create_bulk

PREVIEW_TTL = datetime.timedelta(hours=24)


class ImportRefused(DomainError):
    """The workbook cannot be imported as it is; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem], message: str = "导入未通过校验，未写入任何数据。"):
        super().__init__(message)
        self.problems = problems


@dataclass
class ImportOutcome:
    spec: WorkbookSpec
    problems: list[Problem]
    resolution: Resolution | None = None
    plan: Plan | None = None
    template: PlanTemplate | None = None
    sha256: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def sha256_of(fileobj: BinaryIO) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def workbook_read(fileobj: BinaryIO) -> tuple[ReadResult, str]:
    """Inspect (hostile-file checks), hash and parse an uploaded workbook. No database access.

    Raises ``safety.WorkbookRefused`` for a file that must not or cannot be read at all.
    """
    inspect_workbook(fileobj)
    digest = sha256_of(fileobj)
    return read_workbook(fileobj), digest


def _check_target_permission(actor: User | None, target: Target) -> None:
    if actor is None:
        return
    if target.kind == WorkbookImport.Kind.NEW_PLAN:
        assert target.school is not None  # a new-plan target names its school
        if not permissions.can_import_new_plan(actor, target.school):
            raise NotAllowed("只有教育局管理员可以为学校新建方案。")
    if target.kind == WorkbookImport.Kind.INTO_PLAN:
        assert target.plan is not None  # an into-plan target names its plan
        if not permissions.can_import_into_plan(actor, target.plan):
            raise NotAllowed("只有该方案的组长、副组长或办公室可以导入。")
    if target.kind == WorkbookImport.Kind.TEMPLATE and not (
        permissions.can_manage_templates(actor) and permissions.user_bureau(actor) == target.bureau
    ):
        raise NotAllowed("只有教育局管理员可以导入方案模板。")


def _finish_target(target: Target, spec: WorkbookSpec) -> Target:
    """Fill title and year from the workbook when the caller gave none."""
    if target.kind != WorkbookImport.Kind.INTO_PLAN:
        # A caller's title longer than a plan's allows is refused, not cut (core.text).
        target.title = bounded(target.title or spec.title, Plan, "title")
        if not target.year:
            first, _ = spec.date_span()
            target.year = first.year if first else timezone.localdate().year
    return target


def plan_import(
    *, actor: User | None, fileobj: BinaryIO, target: Target, dry_run: bool = False, source_name: str = ""
) -> ImportOutcome:
    """Import a workbook in one go (the management command): all of it, or nothing.

    With ``dry_run`` or any error nothing is written; the outcome lists what would be created and
    every problem. ``actor=None`` is a system job (no permission checks).
    """
    _check_target_permission(actor, target)
    read, digest = workbook_read(fileobj)
    outcome = ImportOutcome(spec=read.spec, problems=list(read.problems), sha256=digest, counts=read.spec.counts())
    if read.errors:
        return outcome
    _finish_target(target, read.spec)
    outcome.resolution = resolve(read.spec, target, sha256=digest)
    outcome.problems += outcome.resolution.problems
    if outcome.errors or dry_run:
        return outcome
    with transaction.atomic():
        written = _write(outcome.resolution, actor, source_name=source_name, sha256=digest)
    if isinstance(written, PlanTemplate):
        outcome.template = written
    else:
        outcome.plan = written
    return outcome


# --- the web flow: dry run, then a one-time confirmation -----------------------------------------


def workbook_preview(*, actor: User, fileobj: BinaryIO, source_name: str, target: Target) -> WorkbookImport:
    """Dry run of an upload: parse and resolve, and keep the result under a one-time token.

    A refused file (``safety.WorkbookRefused``) raises and leaves no row. A parsed file always
    leaves a row: ``previewed`` when it may be confirmed, ``failed`` with its problems otherwise.
    """
    _check_target_permission(actor, target)
    read, digest = workbook_read(fileobj)
    problems = list(read.problems)
    if not read.errors:
        _finish_target(target, read.spec)
        problems += resolve(read.spec, target, sha256=digest).problems
    failed = any(p.is_error for p in problems)
    return WorkbookImport.objects.create(
        token=uuid.uuid4(),
        kind=target.kind,
        status=WorkbookImport.Status.FAILED if failed else WorkbookImport.Status.PREVIEWED,
        uploaded_by=actor,
        school=target.school,
        plan=target.plan,
        bureau=target.bureau,
        title=target.title,
        year=target.year,
        source_name=source_name[:200],
        source_sha256=digest,
        spec=read.spec.to_json(),
        problems=problems_to_json(problems),
    )


# --- past dates: the offer to shift the whole workbook (顺延) --------------------------------------


@dataclass(frozen=True)
class PastDates:
    """How many of a workbook's dates already lie before today, and the earliest of all its dates."""

    count: int
    earliest: datetime.date


def past_dates(spec: WorkbookSpec, today: datetime.date | None = None) -> PastDates | None:
    """The preview's notice: None when no date of the workbook is past."""
    today = today or timezone.localdate()
    days = spec.dates()
    past = [d for d in days if d < today]
    return PastDates(count=len(past), earliest=min(days)) if past else None


def default_shift_start(today: datetime.date | None = None) -> datetime.date:
    """The start the preview offers: the coming Monday (today when it is one), so a shifted plan
    starts on a whole week rather than midweek."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=-today.weekday() % 7)


def import_shift_days(spec: WorkbookSpec, new_start: datetime.date, today: datetime.date | None = None) -> int:
    """Days that move the workbook's earliest date to ``new_start``. The preview asks it to show
    the result, the confirmation again before writing. Refuses a start before today (the dates
    would stay past) and what plans.services.check_shift_days refuses (0 days, more than 10 years)."""
    today = today or timezone.localdate()
    if new_start < today:
        raise DomainError(f"顺延后的最早日期不能早于今天（{today:%Y-%m-%d}），否则日期仍然已过。")
    days = plan_services.days_to_start(spec.date_span()[0], new_start)
    plan_services.check_shift_days(days)
    return days


def target_of(row: WorkbookImport) -> Target:
    return Target(kind=row.kind, title=row.title, year=row.year, school=row.school, plan=row.plan, bureau=row.bureau)


def workbook_import_confirm(
    *, actor: User, token: uuid.UUID | str, shift_to: datetime.date | None = None
) -> WorkbookImport:
    """Write a previewed import. Idempotent: a second confirmation (double click, stale page)
    returns the row already imported and writes nothing.

    With ``shift_to`` every date of the workbook is moved so that its earliest date falls on that
    day (import_shift_days, the same check as the preview's); the row keeps the file as read.

    Re-resolves before writing, because people, seats and plans may have changed since the preview.
    Raises ImportRefused (with problems) or DomainError; the row then records the failure.
    """
    row = WorkbookImport.objects.select_related("school", "plan", "plan__school", "bureau").filter(token=token).first()
    if row is None or row.uploaded_by_id != actor.pk:
        raise DomainError("找不到这次导入（可能已过期），请重新上传文件。")
    if row.status == WorkbookImport.Status.IMPORTED:
        return row
    if row.status == WorkbookImport.Status.FAILED:
        raise ImportRefused(problems_from_json(row.problems))
    if timezone.now() - row.created_at > PREVIEW_TTL:
        raise DomainError("预览已超过 24 小时，请重新上传文件。")
    target = target_of(row)
    _check_target_permission(actor, target)
    spec = WorkbookSpec.from_json(row.spec)
    shift_days = 0
    if shift_to is not None:
        shift_days = import_shift_days(spec, shift_to)
        spec = spec.shifted(shift_days)
    resolution = resolve(spec, target, sha256=row.source_sha256)
    if resolution.errors:
        _mark_failed(row, resolution.problems)
        raise ImportRefused(resolution.problems)
    try:
        with transaction.atomic():
            # The row lock makes a concurrent second confirmation wait, then see "imported".
            locked = WorkbookImport.objects.select_for_update().get(pk=row.pk)
            if locked.status != WorkbookImport.Status.PREVIEWED:
                return locked
            written = _write(
                resolution, actor, source_name=row.source_name, sha256=row.source_sha256, shift_days=shift_days
            )
            if isinstance(written, PlanTemplate):
                locked.template = written
            else:
                locked.plan = written
            locked.status = WorkbookImport.Status.IMPORTED
            locked.finished_at = timezone.now()
            locked.save(update_fields=["template", "plan", "status", "finished_at"])
            # Lets the caller tell this write from a repeated confirmation. A transient flag, not a
            # field, and not declared on WorkbookImport (excel/models.py), hence the ignore.
            locked.just_imported = True
            return locked
    except IntegrityError as exc:  # someone created the same plan or template meanwhile
        raise DomainError("导入时发生冲突（可能已有同名方案），未写入任何数据。请刷新后重试。") from exc


def _mark_failed(row: WorkbookImport, problems: list[Problem]) -> None:
    WorkbookImport.objects.filter(pk=row.pk, status=WorkbookImport.Status.PREVIEWED).update(
        status=WorkbookImport.Status.FAILED, problems=problems_to_json(problems)
    )


# --- writing ------------------------------------------------------------------------------------


def _write(
    resolution: Resolution, actor: User | None, *, source_name: str, sha256: str, shift_days: int = 0
) -> Plan | PlanTemplate:
    """Inside the caller's transaction. ``shift_days`` (already applied to the spec) goes into the
    audit row, so the history says the dates are not the file's."""
    shifted = {"shifted_days": shift_days} if shift_days else {}
    if resolution.target.kind == WorkbookImport.Kind.TEMPLATE:
        return _write_template(resolution, actor, source_name=source_name, sha256=sha256, extra=shifted)
    return _write_plan(resolution, actor, source_name=source_name, sha256=sha256, extra=shifted)


def _write_template(
    resolution: Resolution, actor: User | None, *, source_name: str, sha256: str, extra: dict[str, int] | None = None
) -> PlanTemplate:
    target = resolution.target
    # A template target names its bureau; resolve() refuses one without a year.
    assert target.bureau is not None and target.year is not None
    template = PlanTemplate.objects.create(
        bureau=target.bureau,
        title=target.title,
        year=target.year,
        spec=resolution.spec.without_people().to_json(),
        source_name=source_name[:200],
        source_sha256=sha256,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="plans.template.created",
        target=template,
        data={"title": template.title, "year": template.year, **resolution.spec.counts(), **(extra or {})},
    )
    return template


def _write_plan(
    resolution: Resolution, actor: User | None, *, source_name: str, sha256: str, extra: dict[str, int] | None = None
) -> Plan:
    target, spec = resolution.target, resolution.spec
    if target.kind == WorkbookImport.Kind.INTO_PLAN:
        assert target.plan is not None  # an into-plan target names its plan
        plan = Plan.objects.select_for_update().select_related("school").get(pk=target.plan.pk)
    else:
        # A new-plan target names its school; resolve() refuses one without a year.
        assert target.school is not None and target.year is not None
        plan = plan_services.plan_create(
            actor=actor,
            school=target.school,
            title=target.title,
            year=target.year,
            stages=[plan_services.StageSpec(s.name, s.starts_on, s.ends_on) for s in spec.stages],
        )
    # Measures and tasks need the plan's manage grant: an importing bureau admin has none, so those
    # rows are written as the import job; the plans.plan.imported row names the person.
    job_actor = actor if actor is not None and can_manage_plan_tasks(actor, plan) else None
    groups = {name: plan_services.working_group_create(actor=actor, plan=plan, name=name) for name in resolution.groups}
    for seat in resolution.new_seats:
        plan_services.seat_set(
            actor=actor, plan=plan, user=seat.user, role=seat.role, working_group=groups.get(seat.group), duty=seat.duty
        )
    measures = _write_structure(resolution, plan, job_actor, groups)
    for item in spec.indicators:
        plan_services.indicator_create(
            actor=job_actor,
            plan=plan,
            name=item.name,
            unit=item.unit,
            direction=item.direction,
            target=item.target,
            measure=measures.get(item.measure),
        )
    for criterion in spec.criteria:
        acceptance_services.criterion_create(
            actor=job_actor,
            plan=plan,
            category=criterion.category,
            point=criterion.point,
            max_score=criterion.max_score,
            applicable=criterion.applicable,
        )
    audit_record(
        actor=actor,
        action="plans.plan.imported",
        target=plan,
        plan=plan,
        data={"source": source_name, "sha256": sha256, "kind": target.kind, **spec.counts(), **(extra or {})},
    )
    return plan


def _write_structure(
    resolution: Resolution, plan: Plan, actor: User | None, groups: dict[str, WorkingGroup]
) -> dict[str, Measure]:
    """Measures (through the service) and their tasks (in bulk), in workbook order.

    Returns measures by title (the first of a title wins) for the indicators' links.
    """
    stages: dict[str, Stage] = {}
    # Lock the stages tasks go into, as task_create does: a gate signed meanwhile must not miss them.
    for stage in Stage.objects.select_for_update().filter(plan=plan).order_by("order"):
        stage.plan = plan  # spares the services one query per measure
        stages.setdefault(stage.name, stage)
    by_title: dict[str, Measure] = {}
    pending: list[tuple[Measure, TaskItem]] = []
    # Into an existing plan, a measure the stage already has (same title) takes the new tasks
    # instead of being created a second time.
    existing: dict[tuple[int, str], Measure] = {}
    for measure in Measure.objects.filter(stage__plan=plan, cancelled=False).order_by("order", "id"):
        existing.setdefault((measure.stage_id, measure.title), measure)
    for stage_item in resolution.spec.stages:
        stage = stages[stage_item.name]
        if stage.status == Stage.Status.COMPLETED and any(m.tasks for m in stage_item.measures):
            raise DomainError(f"“{stage.name}”已签署完成，不能再新建任务。")
        for item in stage_item.measures:
            found = existing.get((stage.pk, item.title))
            if found is not None:
                by_title.setdefault(item.title, found)
                pending += [(found, task) for task in item.tasks]
                continue
            measure = plan_services.measure_create(
                actor=actor,
                stage=stage,
                title=item.title,
                owner=resolution.owners.get(item.row),
                working_group=groups.get(item.slot.group),
                responsible_units="、".join(item.units),
                starts_on=item.starts_on,
                ends_on=item.ends_on,
                weight=item.weight,
            )
            by_title.setdefault(item.title, measure)
            pending += [(measure, task) for task in item.tasks]
    tasks_create_bulk(
        actor=actor,
        plan=plan,
        items=[
            NewTask(
                measure=measure,
                title=item.title,
                assignee=resolution.assignees.get(item.row),
                starts_on=item.starts_on,
                due_on=item.due_on,
                weight=item.weight,
            )
            for measure, item in pending
        ],
    )
    return by_title


# --- templates ----------------------------------------------------------------------------------


@dataclass
class IssuePreview:
    school: Organisation
    resolution: Resolution

    @property
    def errors(self) -> list[Problem]:
        return self.resolution.errors


def template_issue_preview(
    *, actor: User | None, template: PlanTemplate, schools: list[Organisation], title: str = "", year: int | None = None
) -> list[IssuePreview]:
    """What issuing would do for each school (its leading group, unassigned tasks) and every problem."""
    spec = WorkbookSpec.from_json(template.spec)
    previews = []
    for school in schools:
        if actor is not None and not permissions.can_issue_template(actor, template, school):
            raise NotAllowed(f"您不能向 {school.name} 下发该模板。")
        target = Target(
            kind=WorkbookImport.Kind.NEW_PLAN, title=title or template.title, year=year or template.year, school=school
        )
        resolution = resolve(spec, target)
        if TemplateIssue.objects.filter(template=template, school=school).exists():
            resolution.problems.append(Problem("方案", None, "", f"该模板已下发给 {school.name}。"))
        previews.append(IssuePreview(school=school, resolution=resolution))
    return previews


def template_issue(
    *, actor: User | None, template: PlanTemplate, schools: list[Organisation], title: str = "", year: int | None = None
) -> list[Plan]:
    """Issue a template to schools: each gets its own plan, role slots mapped to its leading group,
    dates kept. All schools or none: any problem refuses the whole issue (ImportRefused)."""
    if not schools:
        raise DomainError("请至少选择一所学校。")
    previews = template_issue_preview(actor=actor, template=template, schools=schools, title=title, year=year)
    problems = [
        Problem(p.sheet, p.row, p.column, f"{preview.school.name}:{p.message}", p.level)
        for preview in previews
        for p in preview.errors
    ]
    if problems:
        raise ImportRefused(problems, "下发未通过校验，没有学校收到方案。")
    plans = []
    try:
        with transaction.atomic():
            # Lock the template: a double-clicked issue waits here, then finds the issue rows.
            PlanTemplate.objects.select_for_update().get(pk=template.pk)
            done = set(
                TemplateIssue.objects.filter(template=template, school__in=schools).values_list(
                    "school__name", flat=True
                )
            )
            if done:
                raise DomainError(f"该模板已下发给：{'、'.join(sorted(done))}。")
            for preview in previews:
                plan = _write_plan(
                    preview.resolution, actor, source_name=template.source_name, sha256=template.source_sha256
                )
                TemplateIssue.objects.create(template=template, school=preview.school, plan=plan, issued_by=actor)
                audit_record(
                    actor=actor,
                    action="plans.template.issued",
                    target=plan,
                    plan=plan,
                    data={"template": template.pk, "title": template.title},
                )
                plans.append(plan)
    except IntegrityError as exc:
        raise DomainError("下发时发生冲突（可能已有同名方案），没有学校收到方案。请刷新后重试。") from exc
    return plans
