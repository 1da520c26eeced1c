"""The leading-group page: the 组长, office (and deputy) and the bureau admin edit seats and working
groups with people picked from the school's staff, copy a group from another plan of the school,
and read its history; members and other schools cannot change anything."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError
from plans import services
from plans.models import LeadingGroupMember, WorkingGroup
from tests.factories import PlanFactory, UserFactory


def _seats(plan):
    return sorted(plan.leading_group.values_list("user__username", "role", "working_group__name", "duty"))


def test_the_leader_adds_a_staff_member_by_name(client, county):
    client.force_login(county.a.leader)
    page = client.get(f"/plans/{county.a.plan.pk}/leading-group/").content.decode()
    assert county.a.staff.full_name in page  # offered by name
    assert "c_staff" not in page  # never another school's staff
    response = client.post(
        f"/plans/{county.a.plan.pk}/leading-group/seat/",
        {"user": county.a.staff.pk, "role": "member", "duty": "档案整理"},
    )
    assert response.status_code == 302
    seat = LeadingGroupMember.objects.get(plan=county.a.plan, user=county.a.staff)
    assert (seat.role, seat.duty) == ("member", "档案整理")
    assert AuditEntry.objects.filter(action="plans.seat.added", target_id=seat.pk, actor=county.a.leader).exists()


def test_the_office_changes_a_role_and_working_group_in_a_row(client, county):
    group = services.working_group_create(actor=None, plan=county.a.plan, name="资源配置组")
    seat = LeadingGroupMember.objects.get(plan=county.a.plan, user=county.a.member)
    client.force_login(county.a.office)
    prefix = f"seat{seat.pk}"
    client.post(
        f"/plans/{county.a.plan.pk}/leading-group/seat/",
        {"prefix": prefix, f"{prefix}-user": county.a.member.pk, f"{prefix}-role": "deputy",
         f"{prefix}-working_group": group.pk, f"{prefix}-duty": "分管后勤"},
    )
    seat.refresh_from_db()
    assert (seat.role, seat.working_group, seat.duty) == ("deputy", group, "分管后勤")


def test_a_second_leader_is_refused_with_a_message(client, county):
    before = _seats(county.a.plan)
    client.force_login(county.a.leader)
    response = client.post(
        f"/plans/{county.a.plan.pk}/leading-group/seat/", {"user": county.a.staff.pk, "role": "leader"}, follow=True
    )
    assert "已有组长" in response.content.decode()
    assert _seats(county.a.plan) == before


def test_a_person_of_another_school_cannot_be_seated(client, county):
    before = _seats(county.a.plan)
    client.force_login(county.a.leader)
    client.post(f"/plans/{county.a.plan.pk}/leading-group/seat/", {"user": county.b.staff.pk, "role": "member"})
    assert _seats(county.a.plan) == before


@pytest.mark.parametrize("who", ["member", "staff"])
def test_a_member_reads_but_cannot_edit_the_leading_group(client, county, who):
    user = getattr(county.a, who)
    before, groups = _seats(county.a.plan), WorkingGroup.objects.count()
    client.force_login(user)
    page = client.get(f"/plans/{county.a.plan.pk}/leading-group/")
    assert page.status_code == 200 and "add-seat-form" not in page.content.decode()
    url = f"/plans/{county.a.plan.pk}/leading-group"
    assert client.post(f"{url}/seat/", {"user": user.pk, "role": "leader"}).status_code == 403
    assert client.post(f"{url}/seat/{county.a.leader.pk}/remove/").status_code == 403
    assert client.post(f"{url}/working-group/", {"name": "x"}).status_code == 403
    assert (_seats(county.a.plan), WorkingGroup.objects.count()) == (before, groups)


@pytest.mark.parametrize("who", ["b_leader", "centre_head", "other_bureau_user"])
def test_other_schools_and_counties_cannot_reach_the_page(client, county, who):
    user = county.b.leader if who == "b_leader" else getattr(county, who)
    before = _seats(county.a.plan)
    client.force_login(user)
    url = f"/plans/{county.a.plan.pk}/leading-group"
    assert client.get(f"{url}/").status_code == 404
    assert client.post(f"{url}/seat/", {"user": county.a.staff.pk, "role": "member"}).status_code in (403, 404)
    assert client.post(f"{url}/seat/{county.a.member.pk}/remove/").status_code in (403, 404)
    assert _seats(county.a.plan) == before


def test_the_centre_school_reads_the_group_of_its_school_but_cannot_edit(client, county):
    client.force_login(county.centre_head)
    page = client.get(f"/plans/{county.b.plan.pk}/leading-group/")
    assert page.status_code == 200 and "add-seat-form" not in page.content.decode()


def test_removing_a_seat_withdraws_it_and_is_in_the_history(client, county):
    client.force_login(county.a.leader)
    client.post(f"/plans/{county.a.plan.pk}/leading-group/seat/{county.a.member2.pk}/remove/")
    assert not LeadingGroupMember.objects.filter(plan=county.a.plan, user=county.a.member2).exists()
    history = client.get(f"/plans/{county.a.plan.pk}/leading-group/").content.decode()
    assert "移出领导小组" in history and county.a.member2.full_name in history


def test_copying_the_group_from_another_plan_of_the_school(client, county):
    services.working_group_create(actor=None, plan=county.a.plan, name="质量提升组")
    seat = LeadingGroupMember.objects.get(plan=county.a.plan, user=county.a.member)
    seat.working_group = WorkingGroup.objects.get(plan=county.a.plan, name="质量提升组")
    seat.save()
    new_plan = PlanFactory(school=county.a.school, title="2027 年度实施方案", year=2027)
    client.force_login(county.bureau_admin)
    response = client.post(f"/plans/{new_plan.pk}/leading-group/copy/", {"source": county.a.plan.pk}, follow=True)
    assert "复制 5 名" in response.content.decode()
    assert [(u, r) for u, r, _, _ in _seats(new_plan)] == [(u, r) for u, r, _, _ in _seats(county.a.plan)]
    assert LeadingGroupMember.objects.get(plan=new_plan, user=county.a.member).working_group.name == "质量提升组"
    entry = AuditEntry.objects.get(action="plans.leading_group.copied", plan_id=new_plan.pk)
    assert entry.data["seats"] == 5 and entry.actor == county.bureau_admin
    # Copying again changes nothing.
    before, seat_rows = _seats(new_plan), AuditEntry.objects.filter(action__startswith="plans.seat.").count()
    services.leading_group_copy(actor=county.bureau_admin, plan=new_plan, source=county.a.plan)
    assert _seats(new_plan) == before
    assert AuditEntry.objects.filter(action__startswith="plans.seat.").count() == seat_rows


def test_copy_skips_disabled_people_and_keeps_the_own_leader(county):
    new_plan = PlanFactory(school=county.a.school, title="新方案", year=2027)
    other_leader = UserFactory(organisation=county.a.school)
    services.seat_set(actor=None, plan=new_plan, user=other_leader, role="leader")
    with pytest.raises(DomainError, match="请先调整本方案的组长"):
        services.leading_group_copy(actor=other_leader, plan=new_plan, source=county.a.plan)
    assert _seats(new_plan) == [(other_leader.username, "leader", None, "")]


def test_copy_refuses_a_plan_of_another_school(county):
    with pytest.raises(DomainError, match="本校"):
        services.leading_group_copy(actor=county.bureau_admin, plan=county.a.plan, source=county.b.plan)


def test_the_plan_page_links_to_the_leading_group(client, county):
    client.force_login(county.a.leader)
    assert "编辑领导小组" in client.get(f"/plans/{county.a.plan.pk}/").content.decode()
    client.force_login(county.a.member)
    assert "详情与变更记录" in client.get(f"/plans/{county.a.plan.pk}/").content.decode()
