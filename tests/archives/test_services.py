"""Archive services: the shipped scheme, copying, filing, completeness and the frozen archive."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from archives import services
from archives.models import ArchiveScheme, Filing, RequiredItem
from archives.selectors import archive_summaries, archive_tree, unfiled_sources
from audit.models import AuditEntry
from core.errors import DomainError
from plans.models import Plan
from tests.archives.helpers import days_ago, item, opened, set_level

pytestmark = pytest.mark.django_db


def file(school, scheme, evidence, part, date=None, title=""):
    return services.filing_create(
        actor=school.office, plan=school.plan, item=item(scheme, part), source="task", source_id=evidence.pk,
        title=title, document_date=date or days_ago(1),
    )


def test_the_default_scheme_is_seed_003_as_data(county):
    scheme = services.default_scheme_install()
    assert scheme.is_default and services.default_scheme_install().pk == scheme.pk  # idempotent
    assert list(scheme.categories.values_list("title", flat=True))[0].startswith("(一)")
    assert scheme.items.count() == 20
    records = scheme.items.get(title__startswith="学籍档案")
    assert (records.primary_years, records.junior_years) == (6, 3)


def test_opening_copies_the_scheme_for_the_plan_once(county):
    a = county.a
    scheme, _ = opened(a)
    assert scheme.plan_id == a.plan.pk and not scheme.is_default and scheme.copied_from.is_default
    assert scheme.items.count() == 20
    assert services.archive_open(actor=a.leader, plan=a.plan).pk == scheme.pk
    assert AuditEntry.objects.filter(action="archives.scheme.copied", plan_id=a.plan.pk).count() == 1


def test_filing_puts_a_file_under_an_item_with_its_number_and_audit(county):
    a = county.a
    scheme, (e1, e2) = opened(a)
    assert len(unfiled_sources(a.plan)) == 2
    f = file(a, scheme, e1, "逐项自评表", title="")
    assert f.title == "逐项自评表" and f.order == 1 and f.sha256 == e1.sha256 and f.filed_by == a.office
    audit = AuditEntry.objects.get(action="archives.filing.created", target_id=f.pk)
    assert audit.actor_id == a.office.pk and audit.plan_id == a.plan.pk
    assert [s.pk for s in unfiled_sources(a.plan)] == [e2.pk]
    tree = archive_tree(a.plan)
    row = next(r for r in tree.items if r.item.pk == f.item_id)
    assert row.status == "complete" and row.files[0].number == "1-1-1"


def test_one_file_serves_several_items_without_a_second_copy(county):
    a = county.a
    scheme, (e1, _) = opened(a)
    file(a, scheme, e1, "逐项自评表")
    file(a, scheme, e1, "学校平面图")
    assert Filing.objects.filter(evidence=e1).count() == 2
    with pytest.raises(DomainError, match="已归入此条目"):
        file(a, scheme, e1, "学校平面图")
    assert Filing.objects.filter(evidence=e1).count() == 2


def test_period_items_list_the_missing_years(county):
    a = county.a
    set_level(a, "junior")
    scheme, (e1, e2) = opened(a)
    year = a.plan.year
    file(a, scheme, e1, "近三年学生体质健康", date=datetime.date(year - 2, 9, 1))
    tree = archive_tree(Plan.objects.select_related("school").get(pk=a.plan.pk))
    row = next(r for r in tree.items if "体质健康" in r.item.title)
    assert row.years == [year - 2, year - 1, year] and row.status == "partial"
    assert row.missing_years == [year - 1, year]
    records = next(r for r in tree.items if r.item.title.startswith("学籍档案"))
    assert records.years == [year - 2, year - 1, year] and records.status == "missing"


def test_a_primary_school_needs_six_years_of_records(county):
    a = county.a
    set_level(a, "primary")
    opened(a)
    tree = archive_tree(Plan.objects.select_related("school").get(pk=a.plan.pk))
    records = next(r for r in tree.items if r.item.title.startswith("学籍档案"))
    assert len(records.years) == 6


def test_summaries_count_statuses_and_skip_plans_the_user_may_not_see(county):
    a, c = county.a, county.c
    scheme, (e1, _) = opened(a)
    file(a, scheme, e1, "逐项自评表")
    result = archive_summaries(county.bureau_admin, [a.plan.pk, c.plan.pk])
    assert set(result) == {a.plan.pk}
    s = result[a.plan.pk]
    assert (s.complete, s.partial + s.missing, s.files, s.opened) == (1, 19, 1, True)
    # a plan that has not opened its archive is measured against the scheme it would follow
    assert archive_summaries(county.bureau_admin, [county.b.plan.pk])[county.b.plan.pk].missing == 20


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"document_date": datetime.date.today() + datetime.timedelta(days=1)}, "不能晚于今天"),
        ({"document_date": None}, "成文日期"),
        ({"source_id": 999999}, "不属于本方案"),
        ({"source": "nonsense"}, "不属于本方案"),
        ({"title": "x" * 201}, "200"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(county, bad, message):
    a = county.a
    scheme, (e1, _) = opened(a)
    kwargs = {"actor": a.office, "plan": a.plan, "item": item(scheme, "逐项自评表"), "source": "task",
              "source_id": e1.pk, "title": "", "document_date": days_ago(1)} | bad
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError, match=message):
        services.filing_create(**kwargs)
    assert not Filing.objects.exists() and AuditEntry.objects.count() == before


def test_another_schools_file_and_an_item_of_another_scheme_are_refused(county):
    a, b = county.a, county.b
    scheme, (e1, _) = opened(a)
    other_scheme, (b1, _) = opened(b)
    with pytest.raises(DomainError, match="不属于本方案"):
        file(a, scheme, b1, "逐项自评表")
    with pytest.raises(DomainError, match="不属于本方案的档案方案"):
        services.filing_create(actor=a.office, plan=a.plan, item=item(other_scheme, "逐项自评表"), source="task",
                               source_id=e1.pk, document_date=days_ago(1))
    default_item = RequiredItem.objects.filter(scheme__is_default=True).first()
    with pytest.raises(DomainError, match="不属于本方案的档案方案"):
        services.filing_create(actor=a.office, plan=a.plan, item=default_item, source="task",
                               source_id=e1.pk, document_date=days_ago(1))
    assert not Filing.objects.exists()


def test_retitle_and_remove_keep_the_source(county):
    a = county.a
    scheme, (e1, e2) = opened(a)
    f1 = file(a, scheme, e1, "逐项自评表")
    f2 = file(a, scheme, e2, "逐项自评表")
    services.filing_update(actor=a.office, filing=f1, title="自评表(定稿)", document_date=days_ago(3))
    f1.refresh_from_db()
    assert f1.title == "自评表(定稿)" and f1.document_date == days_ago(3)
    services.filing_remove(actor=a.leader, filing=f1)
    assert not Filing.objects.filter(pk=f1.pk).exists() and e1.__class__.objects.filter(pk=e1.pk).exists()
    row = next(r for r in archive_tree(a.plan).items if r.item.pk == f2.item_id)
    assert [x.number for x in row.files] == ["1-1-1"]  # ranks: no gap after removal
    assert AuditEntry.objects.filter(action="archives.filing.removed").count() == 1


def test_once_the_plan_is_accepted_the_archive_is_frozen(county):
    a = county.a
    scheme, (e1, e2) = opened(a)
    f1 = file(a, scheme, e1, "逐项自评表")
    # Precondition shortcut: acceptance's own tests drive the loop to 验收合格 (COMPLETED).
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.COMPLETED)
    a.plan.refresh_from_db()
    for attempt in (
        lambda: file(a, scheme, e2, "逐项自评表"),
        lambda: services.filing_update(actor=a.office, filing=f1, title="改", document_date=days_ago(1)),
        lambda: services.filing_remove(actor=a.office, filing=f1),
        lambda: services.item_save(actor=county.bureau_admin, scheme=scheme, item=f1.item, volume=f1.item.volume,
                                   order=9, title="改名"),
    ):
        with pytest.raises(DomainError, match="冻结"):
            attempt()
    f1.refresh_from_db()
    assert f1.title == "逐项自评表" and f1.order == 1 and Filing.objects.count() == 1
    assert RequiredItem.objects.get(pk=f1.item_id).order == 1


def test_the_bureau_copies_and_edits_schemes_and_the_default_stays(county):
    admin = county.bureau_admin
    default = services.default_scheme_install()
    mine = services.scheme_copy(actor=admin, source=default, bureau=county.bureau, title="示范县档案方案")
    assert mine.bureau == county.bureau and mine.items.count() == 20
    volume = mine.volumes.first()
    new = services.item_save(actor=admin, scheme=mine, volume=volume, order=7, title="校园文化建设资料",
                             primary_years=3, junior_years="2")
    assert (new.primary_years, new.junior_years) == (3, 2)
    with pytest.raises(DomainError, match="0 到 12"):
        services.item_save(actor=admin, scheme=mine, volume=volume, order=8, title="x", primary_years=40)
    with pytest.raises(DomainError, match="系统默认"):
        services.item_save(actor=admin, scheme=default, volume=default.volumes.first(), order=1, title="x")
    with pytest.raises(PermissionDenied):
        services.item_save(actor=county.a.office, scheme=mine, volume=volume, order=1, title="x")
    with pytest.raises(PermissionDenied):
        services.item_save(actor=county.other_bureau_user, scheme=mine, volume=volume, order=1, title="x")
    assert default.items.count() == 20
    # the plan follows a copy of the bureau's scheme
    plan_scheme = services.scheme_copy(actor=admin, source=mine, plan=county.a.plan)
    assert plan_scheme.items.count() == 21
    with pytest.raises(DomainError, match="已有档案方案"):
        services.scheme_copy(actor=admin, source=mine, plan=county.a.plan)


def test_an_item_with_filings_cannot_be_deleted(county):
    a = county.a
    scheme, (e1, _) = opened(a)
    f = file(a, scheme, e1, "逐项自评表")
    with pytest.raises(DomainError, match="已有归档文件"):
        services.item_delete(actor=county.bureau_admin, item=f.item)
    empty = item(scheme, "学校平面图")
    services.item_delete(actor=county.bureau_admin, item=empty)
    assert not ArchiveScheme.objects.get(pk=scheme.pk).items.filter(pk=empty.pk).exists()


def test_lower_apps_find_the_completeness_badge_through_the_app_registry(county):
    """What acceptance's overview would do, without importing archives."""
    from django.apps import apps
    from django.template.loader import render_to_string

    a = county.a
    scheme, (e1, _) = opened(a)
    file(a, scheme, e1, "逐项自评表")
    badges = [c.plan_badge for c in apps.get_app_configs() if getattr(c, "plan_badge", None)]
    assert len(badges) == 1
    template, summaries, _scoped = badges[0]
    found = summaries(county.bureau_admin, [a.plan.pk, county.c.plan.pk])
    assert set(found) == {a.plan.pk}
    html = render_to_string(template, {"archive": found[a.plan.pk]})
    assert "已齐全 1/20" in html and "缺失 19" in html
    assert summaries(county.other_bureau_user, [a.plan.pk]) == {}


def test_deleting_a_plan_deletes_its_archive(county):
    a = county.a
    scheme, (e1, _) = opened(a)
    file(a, scheme, e1, "逐项自评表")
    Plan.objects.filter(pk=a.plan.pk).delete()
    assert not Filing.objects.exists() and not ArchiveScheme.objects.filter(pk=scheme.pk).exists()


def test_summaries_and_the_tree_take_a_fixed_number_of_queries(county):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b = county.a, county.b
    scheme, files = opened(a)
    opened(b)
    file(a, scheme, files[0], "逐项自评表")
    archive_summaries(county.bureau_admin, [])  # the user's grants are read once per request
    with CaptureQueriesContext(connection) as one:
        archive_summaries(county.bureau_admin, [a.plan.pk])
    with CaptureQueriesContext(connection) as two:
        archive_summaries(county.bureau_admin, [a.plan.pk, b.plan.pk])
    assert 0 < len(one) == len(two)
    plan = Plan.objects.select_related("school").get(pk=a.plan.pk)
    with CaptureQueriesContext(connection) as small:
        archive_tree(plan)
    file(a, scheme, files[1], "逐项自评表")
    file(a, scheme, files[1], "学校平面图")
    with CaptureQueriesContext(connection) as larger:
        archive_tree(plan)
    assert 0 < len(small) == len(larger)


def test_indicator_and_rectification_evidence_can_be_filed_too(county):
    from django.core.files.base import ContentFile

    from acceptance.models import Application, RectificationItem
    from acceptance.services import criterion_create
    from archives.selectors import plan_sources
    from plans.models import IndicatorReading

    a = county.a
    scheme, _ = opened(a)
    reading = IndicatorReading(indicator=a.indicator, value=30, measured_on=days_ago(10), reported_by=a.member)
    reading.evidence.save("生均图书台账.pdf", ContentFile(b"%PDF-1.4 reading"), save=False)
    reading.save()
    kinds = {s.kind for s in plan_sources(a.plan)}
    assert "reading" in kinds
    f = services.filing_create(actor=a.office, plan=a.plan, item=item(scheme, "图书目录"), source="reading",
                               source_id=reading.pk, document_date=days_ago(10))
    assert f.reading_id == reading.pk and f.title.startswith("生均图书台账")
    criterion = criterion_create(actor=None, plan=a.plan, category="办学条件", point="图书", max_score=10)
    application = Application.objects.create(plan=a.plan, applied_by=a.leader)
    fix = RectificationItem(plan=a.plan, application=application, criterion=criterion, evidence_name="整改报告.pdf")
    fix.evidence.save("r.pdf", ContentFile(b"%PDF-1.4 fix"), save=False)
    fix.save()
    g = services.filing_create(actor=a.office, plan=a.plan, item=item(scheme, "图书目录"), source="rectification",
                               source_id=fix.pk, document_date=days_ago(1))
    assert g.title == "整改报告" and g.order == 2
    # plan b's files are not plan a's
    _, (b1, _) = opened(county.b)
    with pytest.raises(DomainError, match="不属于本方案"):
        services.filing_create(actor=a.office, plan=a.plan, item=item(scheme, "图书目录"), source="task",
                               source_id=b1.pk, document_date=days_ago(1))
