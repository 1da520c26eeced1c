"""Organisations and accounts managed by the bureau admin (and a centre school's admin): every
change is an audited service, grants follow, and nobody reaches outside their county or township."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from orgs import selectors, services
from orgs.models import Organisation, User
from orgs.permissions import can_view_organisation
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def centre_admin(county):
    return UserFactory(username="centre_admin", organisation=county.centre, bureau_role="admin")


def _snapshot():
    return (
        list(
            User.objects.order_by("pk").values_list(
                "username", "full_name", "phone", "position", "is_active", "password"
            )
        ),
        list(
            Organisation.objects.order_by("pk").values_list("code", "name", "parent_id", "township", "level", "address")
        ),
        AuditEntry.objects.count(),
    )


# --- organisations --------------------------------------------------------------------------------


def test_bureau_admin_creates_a_school_with_level_and_address(county):
    school = services.organisation_create(
        actor=county.bureau_admin,
        code="s-new",
        name="新城小学",
        kind=Organisation.Kind.SCHOOL,
        parent=county.centre,
        township="青石镇",
        level=Organisation.Level.PRIMARY,
        address="青石镇新街 1 号",
    )
    assert (school.level, school.address, school.parent) == ("primary", "青石镇新街 1 号", county.centre)
    # Grants follow: the centre's staff see the new school, the other county does not.
    assert can_view_organisation(county.centre_head, school)
    assert not can_view_organisation(county.other_bureau_user, school)


def test_moving_a_school_to_another_centre_moves_its_visibility(county):
    new_centre = services.organisation_create(
        actor=county.bureau_admin,
        code="centre2",
        name="白沙镇中心学校",
        kind=Organisation.Kind.CENTRE,
        parent=county.bureau,
        township="白沙镇",
    )
    new_head = UserFactory(organisation=new_centre)
    assert can_view_organisation(county.centre_head, county.b.school)

    services.organisation_update(
        actor=county.bureau_admin,
        organisation=county.b.school,
        name="b学校（新）",
        township="白沙镇",
        level="junior",
        address="",
        parent=new_centre,
    )

    county.b.school.refresh_from_db()
    assert (county.b.school.parent, county.b.school.name, county.b.school.level) == (new_centre, "b学校（新）", "junior")
    assert can_view_organisation(new_head, county.b.school)
    assert not can_view_organisation(User.objects.get(pk=county.centre_head.pk), county.b.school)
    entry = AuditEntry.objects.get(action="orgs.organisation.updated", target_id=county.b.school.pk)
    assert entry.actor == county.bureau_admin
    assert entry.data["changes"]["name"] == ["b学校", "b学校（新）"]
    assert entry.data["changes"]["parent"] == [county.centre.pk, new_centre.pk]


def test_a_school_cannot_be_placed_in_another_county(county):
    before = _snapshot()
    with pytest.raises(NotAllowed):
        services.organisation_update(
            actor=county.bureau_admin,
            organisation=county.a.school,
            name="a学校",
            parent=county.other_bureau_user.organisation,
        )
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["other_bureau_user", "inspector", "centre_head", "centre_admin", "a_leader"])
def test_only_the_county_admin_edits_organisations(county, centre_admin, who):
    actor = centre_admin if who == "centre_admin" else county.a.leader if who == "a_leader" else getattr(county, who)
    before = _snapshot()
    with pytest.raises(NotAllowed):
        services.organisation_update(actor=actor, organisation=county.b.school, name="改名")
    with pytest.raises(NotAllowed):
        services.organisation_create(
            actor=actor, code="zz", name="zz", kind=Organisation.Kind.SCHOOL, parent=county.centre
        )
    assert _snapshot() == before


# --- accounts -------------------------------------------------------------------------------------


def test_a_new_account_gets_an_initial_password_it_must_change(county):
    user, password = services.user_create_with_initial_password(
        actor=county.bureau_admin,
        organisation=county.a.school,
        username="zhang3",
        full_name="张三",
        phone="139 1234 5678",
        position="教务主任",
    )
    assert user.check_password(password) and user.must_change_password
    assert user.phone == "13912345678"
    assert user.groups.filter(name=f"org:{county.a.school.code}").exists()
    entry = AuditEntry.objects.get(action="orgs.user.created", target_id=user.pk)
    assert password not in str(entry.data)


def test_a_phone_that_is_not_one_is_refused(county):
    with pytest.raises(DomainError, match="手机号"):
        services.user_update(actor=county.bureau_admin, person=county.a.member, full_name="x", phone="12345")


def test_editing_an_account_records_old_and_new_values(county):
    services.user_update(
        actor=county.bureau_admin,
        person=county.a.member,
        full_name="李四",
        phone="+86 138-0000-0000",
        position="年级组长",
    )
    member = User.objects.get(pk=county.a.member.pk)
    assert (member.full_name, member.phone, member.position) == ("李四", "13800000000", "年级组长")
    entry = AuditEntry.objects.get(action="orgs.user.updated", target_id=member.pk)
    assert entry.data["changes"]["full_name"] == [county.a.member.full_name, "李四"]
    assert entry.data["changes"]["position"] == ["", "年级组长"]


def test_disabling_an_account_stops_its_sign_in_and_is_audited(county, client):
    services.user_set_active(actor=county.bureau_admin, person=county.a.member, active=False, reason="调离")
    assert not client.login(username=county.a.member.username, password=PASSWORD)
    entry = AuditEntry.objects.get(action="orgs.user.disabled", target_id=county.a.member.pk)
    assert (entry.from_state, entry.to_state, entry.reason) == ("启用", "停用", "调离")
    services.user_set_active(actor=county.bureau_admin, person=county.a.member, active=True)
    assert client.login(username=county.a.member.username, password=PASSWORD)


def test_nobody_disables_their_own_account(county):
    with pytest.raises(DomainError):
        services.user_set_active(actor=county.bureau_admin, person=county.bureau_admin, active=False)
    assert User.objects.get(pk=county.bureau_admin.pk).is_active


def test_a_reset_password_works_once_handed_out_and_must_be_changed(county, client):
    password = services.user_reset_password(actor=county.bureau_admin, person=county.a.member)
    member = User.objects.get(pk=county.a.member.pk)
    assert member.check_password(password) and not member.check_password(PASSWORD) and member.must_change_password
    assert AuditEntry.objects.filter(action="orgs.user.password_reset", target_id=member.pk).count() == 1


def test_a_centre_admin_manages_the_accounts_of_its_own_schools(county, centre_admin):
    user, _ = services.user_create_with_initial_password(
        actor=centre_admin, organisation=county.b.school, username="b_new", full_name="新老师"
    )
    services.user_set_active(actor=centre_admin, person=user, active=False)
    services.user_reset_password(actor=centre_admin, person=county.b.member)
    assert set(selectors.managed_organisations(centre_admin)) == {county.b.school}


def test_a_centre_admin_may_not_hand_out_admin_roles(county, centre_admin):
    with pytest.raises(NotAllowed):
        services.user_create(
            actor=centre_admin, organisation=county.b.school, username="b_boss", password="x", bureau_role="admin"
        )


ACCOUNT_ACTIONS = {
    "create": lambda actor, person: services.user_create_with_initial_password(
        actor=actor, organisation=person.organisation, username="intruder", full_name="x"
    ),
    "update": lambda actor, person: services.user_update(actor=actor, person=person, full_name="改名"),
    "disable": lambda actor, person: services.user_set_active(actor=actor, person=person, active=False),
    "reset": lambda actor, person: services.user_reset_password(actor=actor, person=person),
}


@pytest.mark.parametrize("action", ACCOUNT_ACTIONS)
@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("other_bureau_user", "a"),  # another county's admin
        ("centre_admin", "a"),  # a school outside the centre's township
        ("centre_head", "b"),  # centre staff without the admin role
        ("inspector", "a"),
        ("a_leader", "a"),  # a principal: school accounts are the bureau's or the centre's
        ("a_leader", "b"),  # another school's people
        ("bureau_admin", "c"),  # a school of the other county
    ],
)
def test_permission_matrix_for_accounts(county, centre_admin, who, target, action):
    actors = {"centre_admin": centre_admin, "a_leader": county.a.leader}
    actor = actors.get(who) or getattr(county, who)
    person = getattr(county, target).member
    before = _snapshot()
    with pytest.raises(NotAllowed):
        ACCOUNT_ACTIONS[action](actor, person)
    assert _snapshot() == before


def test_a_bureau_admin_cannot_touch_a_superuser(county):
    root = User.objects.create_superuser("root", password="x", organisation=county.bureau)
    with pytest.raises(NotAllowed):
        services.user_reset_password(actor=county.bureau_admin, person=root)


# --- one's own account ----------------------------------------------------------------------------


def test_changing_ones_password_clears_the_flag_and_is_checked(county):
    member = county.a.member
    member.must_change_password = True
    member.save()
    with pytest.raises(DomainError, match="原密码不正确"):
        services.password_change(user=member, old_password="wrong", new_password="Qingshi-2026!")
    with pytest.raises(DomainError, match="太短|至少"):
        services.password_change(user=member, old_password=PASSWORD, new_password="a1b2")
    services.password_change(user=member, old_password=PASSWORD, new_password="Qingshi-2026!")
    member.refresh_from_db()
    assert member.check_password("Qingshi-2026!") and not member.must_change_password
    assert AuditEntry.objects.filter(action="orgs.user.password_changed", actor=member).count() == 1


def test_password_validators_speak_chinese(county):
    with pytest.raises(DomainError) as caught:
        services.password_change(user=county.a.member, old_password=PASSWORD, new_password="12345678")
    assert "密码" in caught.value.message and "password" not in caught.value.message.lower()


def test_profile_update_is_audited(county):
    services.profile_update(user=county.a.member, full_name="王五", phone="13700000000", email="w@example.cn")
    member = User.objects.get(pk=county.a.member.pk)
    assert (member.full_name, member.phone, member.email) == ("王五", "13700000000", "w@example.cn")
    entry = AuditEntry.objects.get(action="orgs.user.profile_updated")
    assert entry.actor == member and entry.data["changes"]["phone"] == ["", "13700000000"]


@pytest.mark.parametrize(
    ("password", "message"),
    [("a1b2", "太短"), ("password123", "太常见"), ("3141592653", "全是数字"), ("a_member_x", "太相似")],
)
def test_every_password_rule_speaks_chinese(county, password, message):
    with pytest.raises(DomainError, match=message):
        services.password_change(user=county.a.member, old_password=PASSWORD, new_password=password)
