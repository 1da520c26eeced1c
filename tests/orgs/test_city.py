"""A city bureau (市教育局) above county bureaus: read-only oversight of every school of its counties,
nothing of another city's; created and attached by the superuser only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import DomainError, NotAllowed
from orgs import services
from orgs.models import Organisation, OrganisationGroupObjectPermission
from orgs.permissions import (
    can_administer,
    can_manage_accounts,
    can_manage_cities,
    can_view_organisation,
    forget_permissions,
    is_bureau_user,
    is_city_user,
    is_overseer,
    user_bureau,
)
from orgs.selectors import managed_organisations, visible_schools
from plans.selectors import visible_plans
from tests.city_helpers import with_city
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_a_city_user_sees_every_school_of_its_counties_and_nothing_of_another_city(county):
    city = with_city(county)
    assert set(visible_schools(city.user)) == {county.a.school, county.b.school}
    assert set(visible_plans(city.user)) == {county.a.plan, county.b.plan}
    assert set(visible_schools(city.other_user)) == {county.c.school}
    assert can_view_organisation(city.user, county.b.school)
    assert not can_view_organisation(city.user, county.c.school)
    assert not can_view_organisation(city.other_user, county.a.school)


def test_a_city_user_oversees_read_only(county):
    user = with_city(county).user
    assert is_overseer(user) and is_city_user(user)
    assert not is_bureau_user(user) and user_bureau(user) is None
    assert not can_administer(user) and not can_administer(user, county.a.school)
    assert not can_manage_accounts(user, county.a.school)
    assert not can_manage_cities(user)
    assert not managed_organisations(user).exists()


def test_a_school_created_later_in_an_attached_county_is_visible_to_the_city(county):
    city = with_city(county)
    school = OrganisationFactory(code="late", name="新学校", parent=county.centre)
    forget_permissions(city.user)
    assert can_view_organisation(city.user, school)
    assert not can_view_organisation(city.other_user, school)


def test_moving_a_county_to_another_city_moves_its_grants(county):
    city = with_city(county)
    services.organisation_update(
        actor=city.root, organisation=county.bureau, name=county.bureau.name, parent=city.city2
    )
    assert not visible_schools(city.user).exists()
    assert set(visible_schools(city.other_user)) == {county.a.school, county.b.school, county.c.school}
    # The county's own grants (its school staff, the bureau, the office, the centre) are untouched.
    assert set(visible_schools(county.bureau_admin)) == {county.a.school, county.b.school}
    assert set(visible_schools(county.centre_head)) == {county.b.school}


def test_detaching_a_county_from_its_city_drops_the_city_grants_and_leaving_parent_out_keeps_it(county):
    city = with_city(county)
    services.organisation_update(actor=city.root, organisation=county.bureau, name="示范县教育局（改）")
    county.bureau.refresh_from_db()
    assert county.bureau.parent == city.city and visible_schools(city.user).exists()
    services.organisation_update(actor=city.root, organisation=county.bureau, name=county.bureau.name, parent=None)
    county.bureau.refresh_from_db()
    assert county.bureau.parent is None
    assert not visible_schools(city.user).exists()
    assert set(visible_schools(county.bureau_admin)) == {county.a.school, county.b.school}


@pytest.mark.parametrize(
    ("kind", "parent_code", "message"),
    [
        (Organisation.Kind.CITY, "bureau", "市教育局没有上级单位"),
        (Organisation.Kind.BUREAU, "centre", "县教育局的上级只能是市教育局"),
        (Organisation.Kind.BUREAU, "bureau", "县教育局的上级只能是市教育局"),
    ],
)
def test_a_city_has_no_parent_and_a_county_only_a_city(county, kind, parent_code, message):
    root = with_city(county).root
    before = Organisation.objects.count()
    with pytest.raises(DomainError, match=message):
        services.organisation_create(
            actor=root, code="x", name="x", kind=kind, parent=Organisation.objects.get(code=parent_code)
        )
    assert Organisation.objects.count() == before


@pytest.mark.parametrize("who", ["bureau_admin", "city_user"])
def test_only_the_superuser_creates_cities_and_counties(county, who):
    user = with_city(county).user if who == "city_user" else county.bureau_admin
    before = Organisation.objects.count()
    for kind in (Organisation.Kind.CITY, Organisation.Kind.BUREAU):
        with pytest.raises(NotAllowed):
            services.organisation_create(actor=user, code=f"x{kind}", name="x", kind=kind)
    with pytest.raises(NotAllowed):
        services.organisation_update(actor=county.bureau_admin, organisation=county.bureau, name="改名")
    assert Organisation.objects.count() == before
    assert Organisation.objects.get(pk=county.bureau.pk).name == county.bureau.name


def test_the_superuser_creates_a_city_and_attaches_a_county_through_the_pages(client, county):
    root = with_city(county).root
    client.force_login(root)
    response = client.post(reverse("orgs:organisation_create", args=["city"]), {"code": "newcity", "name": "新市教育局", "address": ""})
    assert response.status_code == 302
    new_city = Organisation.objects.get(code="newcity", kind=Organisation.Kind.CITY, parent=None)
    form = client.get(reverse("orgs:organisation_edit", args=[county.bureau.pk]))
    assert form.status_code == 200 and "所属市教育局" in form.content.decode()
    response = client.post(
        reverse("orgs:organisation_edit", args=[county.bureau.pk]),
        {"name": county.bureau.name, "parent": new_city.pk, "address": ""},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=county.bureau.pk).parent == new_city
    granted = OrganisationGroupObjectPermission.objects.filter(group__name="org:newcity")
    assert set(granted.values_list("content_object__code", flat=True)) == {"a", "b"}
    assert "新市教育局" in client.get(reverse("orgs:index")).content.decode()


@pytest.mark.parametrize("who", ["bureau_admin", "city_user"])
def test_the_city_pages_answer_404_to_anyone_but_the_superuser(client, county, who):
    user = with_city(county).user if who == "city_user" else county.bureau_admin
    client.force_login(user)
    for kind in ("city", "bureau"):
        assert client.get(reverse("orgs:organisation_create", args=[kind])).status_code == 404
        assert client.post(reverse("orgs:organisation_create", args=[kind]), {"code": "z", "name": "z"}).status_code == 404
    assert client.get(reverse("orgs:organisation_edit", args=[county.bureau.pk])).status_code == 404
    assert not Organisation.objects.filter(code="z").exists()


def test_a_city_user_reads_the_overview_pages_of_its_counties_only(client, county):
    city = with_city(county)
    client.force_login(city.user)
    for url in (reverse("history:county"), reverse("acceptance:overview"), reverse("dashboards:county")):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("plans:plan_detail", args=[county.a.plan.pk])).status_code == 200
    assert client.get(reverse("plans:plan_detail", args=[county.c.plan.pk])).status_code == 404
    overview = client.get(reverse("acceptance:overview")).content.decode()
    assert "a学校" in overview and "c学校" not in overview
    client.force_login(city.other_user)
    assert client.get(reverse("plans:plan_detail", args=[county.a.plan.pk])).status_code == 404
