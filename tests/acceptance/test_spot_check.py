"""The city's spot check (抽检) of an accepted plan: opened by the city over the school with a team
of its own staff, scored on the plan's form with the inspection's rating rows, and recorded as
抽检合格 (the plan stays 已验收) or 不合格 (back to 整改中, items to rectify, the county's 复验)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from acceptance.models import Application, FinalRating, RectificationItem, SelfRating
from acceptance.overview import acceptance_overview
from acceptance.services import (
    acceptance_finalise,
    application_submit,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
    rectification_assign,
    rectification_close,
    rectification_submit,
    spot_check_open,
    spot_check_result_record,
    spot_check_team_set,
)
from archives.rules import archive_frozen
from audit.models import AuditEntry
from core.errors import DomainError, InvalidTransition
from notifications.models import Notification
from plans.models import Plan
from tests.acceptance.helpers import accepted, applied
from tests.city_helpers import with_city
from tests.factories import PASSWORD, UserFactory
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db
DATE = datetime.date(2026, 12, 8)


@pytest.fixture
def city(county):
    city = with_city(county)
    city.colleague = UserFactory(username="city_colleague", organisation=city.city)
    return city


@pytest.fixture
def done(county, city):
    """County A's plan accepted (all 1档, 100 points)."""
    return accepted(county)


def plan_of(county) -> Plan:
    return Plan.objects.get(pk=county.a.plan.pk)


def open_check(county, city) -> Application:
    return spot_check_open(
        actor=city.user,
        plan=county.a.plan,
        leader=city.user,
        members=[city.colleague],
        inspection_date=DATE,
        note="年度抽检",
    )


def settle(application, leader, criteria, tiers, rectify=()):
    for criterion, tier in zip(criteria, tiers, strict=True):
        final_rating_set(
            actor=leader,
            application=application,
            criterion=criterion,
            tier=tier,
            rectify=criterion in rectify,
            remark="须整改" if criterion in rectify else "",
        )


def texts(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("text", flat=True))


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def test_a_passed_spot_check_keeps_the_plan_accepted_and_tells_school_and_county(
    county, city, done, django_capture_on_commit_callbacks
):
    criteria, first = done
    with django_capture_on_commit_callbacks(execute=True):
        check = open_check(county, city)
    assert (check.kind, check.status, check.round) == (Application.Kind.SPOT, Application.Status.INSPECTING, 2)
    assert any("抽检" in t for t in texts(city.colleague))
    assert any("抽检" in t for t in texts(county.a.leader))
    assert any("抽检" in t for t in texts(county.bureau_admin))
    # Each inspector rates on their own, the leader settles: the inspection's own services.
    inspector_rating_set(actor=city.colleague, application=check, criterion=criteria[0], tier=2)
    settle(check, city.user, criteria, [1, 1, 1, 2])
    with django_capture_on_commit_callbacks(execute=True):
        spot_check_result_record(actor=city.user, application=check, note="现场抽查")
    check.refresh_from_db()
    assert check.status == Application.Status.PASSED
    assert check.final_score == 95
    assert plan_of(county).status == Plan.Status.COMPLETED
    assert archive_frozen(plan_of(county))
    audit = AuditEntry.objects.filter(action="acceptance.spot_check.recorded").get()
    assert (audit.from_state, audit.to_state, audit.plan_id) == ("inspecting", "passed", county.a.plan.pk)
    assert AuditEntry.objects.filter(action="acceptance.spot_check.opened", plan_id=county.a.plan.pk).count() == 1
    assert any("抽检结论：合格" in t for t in texts(county.a.leader))
    assert any("抽检结论：合格" in t for t in texts(county.bureau_admin))
    assert not RectificationItem.objects.exists()


def test_a_failed_spot_check_sends_the_plan_back_and_the_county_reinspects(
    county, city, done, client, django_capture_on_commit_callbacks
):
    criteria, first = done
    a = county.a
    check = open_check(county, city)
    settle(check, city.user, criteria, [1, 4, 1, 4], rectify=[criteria[1], criteria[3]])
    with django_capture_on_commit_callbacks(execute=True):
        spot_check_result_record(actor=city.user, application=check)
    check.refresh_from_db()
    assert check.status == Application.Status.FAILED
    assert plan_of(county).status == Plan.Status.RECTIFYING
    # The accepted plan's freeze lifts with its status: the archive takes rectification evidence.
    assert not archive_frozen(plan_of(county))
    items = list(RectificationItem.objects.filter(plan=a.plan).order_by("criterion__order"))
    assert [(i.criterion_id, i.application_id) for i in items] == [
        (criteria[1].pk, check.pk),
        (criteria[3].pk, check.pk),
    ]
    assert any("不合格" in t for t in texts(a.leader))
    assert any("不合格" in t for t in texts(county.bureau_admin))
    audit = AuditEntry.objects.filter(action="acceptance.spot_check.recorded").get()
    assert (audit.from_state, audit.to_state, audit.data["plan_status"]) == ("inspecting", "failed", "rectifying")
    # The county's overview reads 整改中 again, with the spot check's verdict beside it.
    row = next(r for r in acceptance_overview(county.bureau_admin) if r.plan_id == a.plan.pk)
    assert (row.state, row.state_label, row.spot_state) == ("failed", "整改中", "failed")
    assert row.spot_text.startswith("不合格（")
    # The first round's certificate is void meanwhile.
    login(client, a.leader)
    assert client.get(reverse("acceptance:certificate", args=[first.pk])).status_code == 404
    assert "证书已失效" in client.get(reverse("acceptance:plan_acceptance", args=[a.plan.pk])).content.decode()

    # The existing path: items rectified, 复验 applied, the county inspects and accepts again.
    for item in items:
        rectification_assign(actor=a.office, item=item, owner=a.member, due_on=DATE)
        rectification_submit(actor=a.member, item=item, note="已整改", upload=pdf())
        rectification_close(actor=a.office, item=item)
    again = application_submit(actor=a.leader, plan=a.plan)
    assert (again.kind, again.round) == (Application.Kind.ROUND, 3)
    inspection_team_set(actor=county.bureau_admin, application=again, leader=county.inspector, inspection_date=DATE)
    carried = dict(FinalRating.objects.filter(application=again).values_list("criterion_id", "tier"))
    assert carried == {criteria[0].pk: 1, criteria[2].pk: 1}  # the spot check's settled, not-rectified lines
    settle(again, county.inspector, [criteria[1], criteria[3]], [1, 1])
    inspection_result_record(actor=county.inspector, application=again)
    again.refresh_from_db()
    acceptance_finalise(actor=None, application=again, today=again.notice_ends_on + datetime.timedelta(days=1))
    assert plan_of(county).status == Plan.Status.COMPLETED
    row = next(r for r in acceptance_overview(county.bureau_admin) if r.plan_id == a.plan.pk)
    assert (row.state, row.round) == ("accepted", 3)
    assert client.get(reverse("acceptance:certificate", args=[again.pk])).status_code == 200
    # The results export says the first round's certificate is void, and the new one is not.
    from openpyxl import load_workbook

    from excel.exports import acceptance_results_book

    sheet = load_workbook(acceptance_results_book(county.bureau_admin).save()).active
    certificates = {row[3]: row[9] for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == a.school.name}
    assert certificates["第1轮"] == f"{first.certificate_ref}（已作废：市级抽检不合格）"
    again.refresh_from_db()
    assert certificates["第3轮"] == again.certificate_ref and "作废" not in again.certificate_ref


def test_who_may_open_a_spot_check(county, city, done):
    before = AuditEntry.objects.count()
    for actor in (county.bureau_admin, county.inspector, county.a.leader, city.other_user):
        with pytest.raises(PermissionDenied):
            spot_check_open(actor=actor, plan=county.a.plan, leader=city.user, inspection_date=DATE)
    assert AuditEntry.objects.count() == before
    assert not Application.objects.filter(kind=Application.Kind.SPOT).exists()


def test_only_an_accepted_plan_and_one_check_at_a_time(county, city):
    applied(county.a)
    with pytest.raises(InvalidTransition, match="已通过验收"):
        spot_check_open(actor=city.user, plan=county.a.plan, leader=city.user, inspection_date=DATE)
    Application.objects.filter(plan=county.a.plan).delete()
    Plan.objects.filter(pk=county.a.plan.pk).update(status=Plan.Status.COMPLETED)
    open_check(county, city)
    # A stale page's second click, or a colleague's: refused with a clear message.
    with pytest.raises(InvalidTransition, match="已有进行中的市级抽检"):
        spot_check_open(actor=city.colleague, plan=county.a.plan, leader=city.colleague, inspection_date=DATE)
    assert Application.objects.filter(kind=Application.Kind.SPOT).count() == 1


def test_the_team_is_city_staff_and_the_county_cannot_take_it_over(county, city, done):
    with pytest.raises(DomainError, match="本市教育局"):
        spot_check_open(
            actor=city.user, plan=county.a.plan, leader=city.user, members=[county.inspector], inspection_date=DATE
        )
    with pytest.raises(DomainError, match="本市教育局"):
        spot_check_open(actor=city.user, plan=county.a.plan, leader=city.other_user, inspection_date=DATE)
    check = open_check(county, city)
    with pytest.raises(InvalidTransition, match="市教育局的抽检"):
        inspection_team_set(actor=county.bureau_admin, application=check, leader=county.inspector, inspection_date=DATE)
    with pytest.raises(PermissionDenied):
        spot_check_team_set(actor=county.bureau_admin, application=check, leader=city.user, inspection_date=DATE)
    spot_check_team_set(
        actor=city.user,
        application=check,
        leader=city.colleague,
        members=[city.user],
        inspection_date=DATE + datetime.timedelta(days=1),
    )
    check.refresh_from_db()
    assert check.team_leader_id == city.colleague.pk
    assert AuditEntry.objects.filter(action="acceptance.spot_check.team_set").count() == 1


def test_counties_and_schools_cannot_score_it_and_a_result_is_recorded_once(county, city, done):
    criteria, _ = done
    check = open_check(county, city)
    for actor in (county.inspector, county.bureau_admin, county.a.leader, city.other_user):
        with pytest.raises(PermissionDenied):
            inspector_rating_set(actor=actor, application=check, criterion=criteria[0], tier=1)
        with pytest.raises(PermissionDenied):
            final_rating_set(actor=actor, application=check, criterion=criteria[0], tier=1)
    with pytest.raises(PermissionDenied):
        spot_check_result_record(actor=city.colleague, application=check)  # a member, not the leader
    with pytest.raises(InvalidTransition, match="市教育局的抽检"):
        inspection_result_record(actor=city.user, application=check)
    with pytest.raises(InvalidTransition, match="未确定最终等级"):
        spot_check_result_record(actor=city.user, application=check)
    settle(check, city.user, criteria, [1, 1, 1, 1])
    spot_check_result_record(actor=city.user, application=check)
    with pytest.raises(InvalidTransition, match="可能已由他人处理"):
        spot_check_result_record(actor=city.user, application=check)
    with pytest.raises(InvalidTransition, match="抽检合格"):
        final_rating_set(actor=city.user, application=check, criterion=criteria[0], tier=2)


def test_a_confirmed_not_applicable_claim_stays_decided(county, city):
    criteria, application = applied(county.a)
    inspection_team_set(
        actor=county.bureau_admin, application=application, leader=county.inspector, inspection_date=DATE
    )
    # The claim is made before the application in practice; here the row is set directly.
    SelfRating.objects.filter(criterion=criteria[3]).update(tier=None, not_applicable=True, na_reason="无食堂")
    na_claim_decide(actor=county.inspector, application=application, criterion=criteria[3], confirm=True)
    settle(application, county.inspector, criteria[:3], [1, 1, 1])
    inspection_result_record(actor=county.inspector, application=application)
    application.refresh_from_db()
    acceptance_finalise(
        actor=None, application=application, today=application.notice_ends_on + datetime.timedelta(days=1)
    )
    check = open_check(county, city)
    final = FinalRating.objects.get(application=check, criterion=criteria[3])
    assert (final.claim, final.tier) == (FinalRating.Claim.CONFIRMED, None)
    settle(check, city.user, criteria[:3], [1, 1, 1])
    spot_check_result_record(actor=city.user, application=check)
    check.refresh_from_db()
    assert check.status == Application.Status.PASSED


def test_pages_show_the_spot_check_to_everyone_and_the_form_to_the_city(client, county, city, done):
    criteria, _ = done
    page = reverse("acceptance:plan_acceptance", args=[county.a.plan.pk])
    login(client, city.user)
    body = client.get(page).content.decode()
    assert 'id="spot-open-form"' in body
    overview = client.get(reverse("acceptance:overview")).content.decode()
    assert "发起抽检" in overview
    response = client.post(
        reverse("acceptance:spot_open", args=[county.a.plan.pk]),
        {"leader": city.user.pk, "members": [city.colleague.pk], "inspection_date": "2026-12-08"},
    )
    assert response.status_code == 302
    check = Application.objects.get(kind=Application.Kind.SPOT)
    # A second click from the stale page: one check, a clear message.
    response = client.post(
        reverse("acceptance:spot_open", args=[county.a.plan.pk]),
        {"leader": city.user.pk, "inspection_date": "2026-12-08"},
        follow=True,
    )
    assert "已有进行中的市级抽检" in response.content.decode()
    assert Application.objects.filter(kind=Application.Kind.SPOT).count() == 1
    assert client.get(reverse("acceptance:inspection", args=[check.pk])).status_code == 200

    login(client, county.bureau_admin)
    body = client.get(page).content.decode()
    assert "抽检中" in body and 'id="spot-open-form"' not in body and 'id="spot-team-form"' not in body
    assert (
        client.post(
            reverse("acceptance:spot_open", args=[county.a.plan.pk]),
            {"leader": county.bureau_admin.pk, "inspection_date": "2026-12-08"},
        ).status_code
        == 403
    )
    board = client.get(reverse("acceptance:inspection", args=[check.pk])).content.decode()
    assert 'id="record-result"' not in board and "市级抽检" in board  # read-only for the county

    login(client, county.a.leader)
    assert client.get(reverse("acceptance:inspection", args=[check.pk])).status_code == 403
    settle(check, city.user, criteria, [1, 1, 1, 1])
    spot_check_result_record(actor=city.user, application=check)
    body = client.get(page).content.decode()
    assert "抽检合格" in body and "100" in body and 'id="spot-open-form"' not in body

    login(client, city.user)
    overview = client.get(reverse("acceptance:overview")).content.decode()
    assert "合格（100 分）" in overview


def test_another_city_gets_404(client, county, city, done):
    login(client, city.other_user)
    assert client.get(reverse("acceptance:plan_acceptance", args=[county.a.plan.pk])).status_code == 404
    response = client.post(
        reverse("acceptance:spot_open", args=[county.a.plan.pk]),
        {"leader": city.other_user.pk, "inspection_date": "2026-12-08"},
    )
    assert response.status_code == 404
    assert not Application.objects.filter(kind=Application.Kind.SPOT).exists()


def test_the_spot_team_finds_it_in_its_inbox(county, city, done):
    from acceptance.inbox import inbox_count, inbox_sections

    open_check(county, city)
    assert inbox_count(city.colleague) == 1
    titles = [entry.title for section in inbox_sections(city.colleague) for entry in section.entries]
    assert any("市级抽检" in title for title in titles)


@pytest.mark.django_db(transaction=True)
def test_recording_the_result_is_one_transaction_of_its_own(county, city):
    """The service locks its rows, and a view calls it with no transaction around the request: it
    must open its own (PostgreSQL refuses a lock outside one: recording a result answered 500), and
    a refusal inside it leaves nothing behind."""
    criteria, _ = accepted(county)
    check = open_check(county, city)
    settle(check, city.user, criteria, [1] * len(criteria))
    with pytest.raises(DomainError, match="最多 1000 个字"):
        spot_check_result_record(actor=city.user, application=check, note="很" * 1001)
    check.refresh_from_db()
    assert check.status == Application.Status.INSPECTING and check.final_score is None
    spot_check_result_record(actor=city.user, application=check)
    check.refresh_from_db()
    assert check.status == Application.Status.PASSED
