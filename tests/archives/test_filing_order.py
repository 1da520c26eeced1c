"""Reordering the files of an item (卷内文件目录 numbers follow the order) and copying a scheme onto
a plan template from the scheme page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from archives import services
from archives.models import ArchiveScheme, Filing
from archives.selectors import archive_tree
from audit.models import AuditEntry
from core.errors import DomainError
from plans.models import Plan, PlanTemplate
from tasks import services as task_services
from tests.archives.helpers import days_ago, item, opened
from tests.factories import PASSWORD
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db


def three_filed(school):
    scheme, (e1, e2) = opened(school)
    e3 = task_services.evidence_add(task=school.tasks[0], actor=school.member, upload=pdf("第三件.pdf"))
    target = item(scheme, "逐项自评表")
    filings = [
        services.filing_create(actor=school.office, plan=school.plan, item=target, source="task", source_id=e.pk,
                               document_date=days_ago(1))
        for e in (e1, e2, e3)
    ]
    return scheme, target, filings


def numbers(plan, item_pk):
    row = next(r for r in archive_tree(plan).items if r.item.pk == item_pk)
    return [(f.number, f.filing.pk) for f in row.files]


def test_moving_a_file_up_and_down_changes_its_number_and_is_audited(county):
    a = county.a
    _, target, (f1, f2, f3) = three_filed(a)
    services.filing_move(actor=a.office, filing=f3, direction="up")
    assert [pk for _, pk in numbers(a.plan, target.pk)] == [f1.pk, f3.pk, f2.pk]
    assert [n for n, _ in numbers(a.plan, target.pk)][1].endswith("-2")
    services.filing_move(actor=a.leader, filing=f1, direction="down")
    assert [pk for _, pk in numbers(a.plan, target.pk)] == [f3.pk, f1.pk, f2.pk]
    assert sorted(Filing.objects.filter(item=target).values_list("order", flat=True)) == [1, 2, 3]
    audit = AuditEntry.objects.filter(action="archives.filing.moved").order_by("id")
    assert [(e.from_state, e.to_state) for e in audit] == [("3", "2"), ("1", "2")]


def test_gaps_left_by_removals_are_closed_when_a_file_moves(county):
    a = county.a
    _, target, (f1, f2, f3) = three_filed(a)
    services.filing_remove(actor=a.office, filing=f1)
    Filing.objects.filter(pk=f3.pk).update(order=9)
    services.filing_move(actor=a.office, filing=f3, direction="up")
    assert list(Filing.objects.filter(item=target).order_by("order").values_list("pk", "order")) == [
        (f3.pk, 1), (f2.pk, 2)]


@pytest.mark.parametrize(("which", "direction", "message"), [(0, "up", "第一件"), (2, "down", "最后一件"),
                                                              (1, "sideways", "上移或下移")])
def test_moves_past_the_ends_or_unknown_are_refused_and_change_nothing(county, which, direction, message):
    a = county.a
    _, target, filings = three_filed(a)
    before = list(Filing.objects.filter(item=target).order_by("pk").values_list("order", flat=True))
    with pytest.raises(DomainError, match=message):
        services.filing_move(actor=a.office, filing=filings[which], direction=direction)
    assert list(Filing.objects.filter(item=target).order_by("pk").values_list("order", flat=True)) == before
    assert not AuditEntry.objects.filter(action="archives.filing.moved").exists()


def test_a_frozen_archive_keeps_its_order(county):
    a = county.a
    _, target, (f1, f2, _) = three_filed(a)
    # Precondition shortcut: acceptance's own tests drive the loop to 验收合格 (COMPLETED).
    Plan.objects.filter(pk=a.plan.pk).update(status=Plan.Status.COMPLETED)
    with pytest.raises(DomainError, match="冻结"):
        services.filing_move(actor=a.office, filing=f2, direction="up")
    assert list(Filing.objects.filter(item=target).order_by("order").values_list("pk", flat=True))[:2] == [f1.pk, f2.pk]


def test_the_archive_page_moves_files_and_another_school_gets_404(client, county):
    a = county.a
    _, target, (f1, f2, _) = three_filed(a)
    assert client.login(username=a.office.username, password=PASSWORD)
    page = client.get(reverse("archives:archive", args=[a.plan.pk])).content.decode()
    assert reverse("archives:filing_move", args=[a.plan.pk, f2.pk]) in page and 'value="up"' in page
    response = client.post(reverse("archives:filing_move", args=[a.plan.pk, f2.pk]), {"direction": "up"})
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{target.pk}")
    assert list(Filing.objects.filter(item=target).order_by("order").values_list("pk", flat=True))[:2] == [f2.pk, f1.pk]
    client.logout()
    assert client.login(username=county.b.office.username, password=PASSWORD)
    response = client.post(reverse("archives:filing_move", args=[a.plan.pk, f1.pk]), {"direction": "up"})
    assert response.status_code == 404
    assert list(Filing.objects.filter(item=target).order_by("order").values_list("pk", flat=True))[:2] == [f2.pk, f1.pk]


def template_of(bureau, title="2026 年均衡发展实施方案"):
    return PlanTemplate.objects.create(bureau=bureau, title=title, year=2026)


def test_the_bureau_admin_copies_a_scheme_onto_a_template_from_the_scheme_page(client, county):
    default = services.default_scheme_install()
    template = template_of(county.bureau)
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    page = client.get(reverse("archives:scheme", args=[default.pk])).content.decode()
    assert 'id="copy-to-template"' in page and template.title in page
    response = client.post(reverse("archives:scheme_copy_to_template", args=[default.pk]),
                           {"template": template.pk, "title": "本县 2026 档案方案"}, follow=True)
    copy = ArchiveScheme.objects.get(template=template)
    assert copy.title == "本县 2026 档案方案" and copy.copied_from_id == default.pk and copy.bureau_id == county.bureau.pk
    assert copy.items.count() == default.items.count()
    assert response.redirect_chain[-1][0] == reverse("archives:scheme", args=[copy.pk])
    assert AuditEntry.objects.filter(action="archives.scheme.copied", target_id=copy.pk).exists()
    # The template now has its scheme: it is no longer offered, and a second copy is refused.
    assert template.title not in client.get(reverse("archives:scheme", args=[default.pk])).content.decode()
    response = client.post(reverse("archives:scheme_copy_to_template", args=[default.pk]), {"template": template.pk},
                           follow=True)
    assert any("已有档案方案" in str(m) for m in response.context["messages"])
    assert ArchiveScheme.objects.filter(template=template).count() == 1


def test_another_countys_template_and_people_who_are_not_the_admin_are_refused(client, county):
    default = services.default_scheme_install()
    theirs = template_of(county.other_bureau_user.organisation)
    ours = template_of(county.bureau, "本县模板")
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    response = client.post(reverse("archives:scheme_copy_to_template", args=[default.pk]), {"template": theirs.pk},
                           follow=True)
    assert any("本局的方案模板" in str(m) for m in response.context["messages"])
    client.logout()
    assert client.login(username=county.inspector.username, password=PASSWORD)
    assert 'id="copy-to-template"' not in client.get(reverse("archives:scheme", args=[default.pk])).content.decode()
    client.post(reverse("archives:scheme_copy_to_template", args=[default.pk]), {"template": ours.pk})
    assert not ArchiveScheme.objects.filter(template__isnull=False).exists()
