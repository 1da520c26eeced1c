"""Exporting a plan in the workbook format and importing it again gives an equal plan."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from acceptance import services as acceptance_services
from excel import services
from excel.exports import plan_workbook, spec_of_plan
from excel.importer import Target
from excel.models import WorkbookImport
from plans import services as plan_services
from plans.models import Measure, Plan
from tasks.models import Task
from tests.excel_fixtures import messy_plan_workbook

pytestmark = pytest.mark.django_db


def shape(plan: Plan) -> dict:
    """Everything the workbook carries, with ids of people and groups by name."""
    stages = [(s.order, s.name, s.starts_on, s.ends_on) for s in plan.stages.order_by("order")]
    measures = [
        (
            m.stage.name,
            m.order,
            m.title,
            m.owner_id,
            m.working_group.name if m.working_group else None,
            m.responsible_units,
            m.starts_on,
            m.ends_on,
            m.weight,
        )
        for m in Measure.objects.filter(stage__plan=plan)
        .select_related("stage", "working_group")
        .order_by("stage__order", "order")
    ]
    tasks = [
        (t.measure.title, t.order, t.title, t.assignee_id, t.starts_on, t.due_on, t.weight, t.status)
        for t in Task.objects.filter(plan=plan)
        .select_related("measure")
        .order_by("measure__stage__order", "measure__order", "order")
    ]
    indicators = [
        (i.order, i.name, i.unit, i.direction, i.target, i.measure.title if i.measure else None)
        for i in plan.indicators.select_related("measure").order_by("order")
    ]
    criteria = [(c.order, c.category, c.point, c.max_score, c.applicable) for c in plan.criteria.order_by("order")]
    seats = sorted(plan.leading_group.values_list("user_id", "role", "working_group__name"))
    return {
        "stages": stages,
        "measures": measures,
        "tasks": tasks,
        "indicators": indicators,
        "criteria": criteria,
        "seats": seats,
    }


def export_and_reimport(plan: Plan, actor, title: str) -> Plan:
    data = io.BytesIO()
    plan_workbook(plan).save(data)
    outcome = services.plan_import(
        actor=actor,
        fileobj=io.BytesIO(data.getvalue()),
        target=Target(kind=WorkbookImport.Kind.NEW_PLAN, school=plan.school, title=title, year=plan.year),
    )
    assert not outcome.errors, [str(p) for p in outcome.errors]
    return outcome.plan


def rich_plan(county) -> Plan:
    """The messy workbook imported, then enriched with what it lacks: odd targets, a formula-like
    title, a working-group measure with an owner, zero weights."""
    outcome = services.plan_import(
        actor=county.bureau_admin,
        fileobj=io.BytesIO(messy_plan_workbook()),
        target=Target(kind=WorkbookImport.Kind.NEW_PLAN, school=county.a.school),
    )
    assert not outcome.errors
    plan = outcome.plan
    stage = plan.stages.get(order=2)
    group = plan_services.working_group_create(actor=None, plan=plan, name="质量提升组")
    measure = plan_services.measure_create(
        actor=None,
        stage=stage,
        title='=HYPERLINK("http://x")',
        owner=county.a.deputy,
        working_group=group,
        responsible_units="教导处、各年级组",
        weight=Decimal("0"),
    )
    from tasks.services import task_create

    task_create(
        actor=None, measure=measure, title="@cmd|' /C calc'!A0", assignee=county.a.member, weight=Decimal("0.25")
    )
    task_create(actor=None, measure=measure, title="-1+1 分层作业", assignee=None)
    plan_services.indicator_create(
        actor=None, plan=plan, name="巩固率", unit="%", direction="ge", target=Decimal("99.5")
    )
    plan_services.indicator_create(
        actor=None, plan=plan, name="近视新发率", unit="%", direction="le", target=Decimal("0.5")
    )
    plan_services.indicator_create(
        actor=None, plan=plan, name="增长率", unit="%", direction="ge", target=Decimal("150")
    )
    acceptance_services.criterion_create(actor=None, plan=plan, category="", point="+附加项", max_score=Decimal("2.5"))
    return plan


def test_round_trip_of_a_rich_plan(county):
    original = rich_plan(county)
    copy = export_and_reimport(original, county.bureau_admin, "副本")
    assert shape(copy) == shape(original)
    assert spec_of_plan(copy).to_json() | {"title": ""} == spec_of_plan(original).to_json() | {"title": ""}


def test_round_trip_of_the_factory_plan(county):
    original = county.a.plan
    copy = export_and_reimport(original, None, "副本")
    assert shape(copy) == shape(original)
