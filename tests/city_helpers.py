"""A city bureau (市教育局) over the ``county`` fixture's county, and another city over the
neighbouring county: built on demand through the services, cached on the county namespace."""

from __future__ import annotations

from types import SimpleNamespace

from orgs import services as org_services
from orgs.models import Organisation
from tests.factories import OrganisationFactory, UserFactory


def with_city(county) -> SimpleNamespace:
    """city (over county.bureau) with ``user``; city2 (over county's other bureau) with ``other_user``."""
    cached = getattr(county, "city", None)
    if cached is not None:
        return cached
    city = OrganisationFactory(code="city", name="示范市教育局", kind=Organisation.Kind.CITY)
    city2 = OrganisationFactory(code="city2", name="邻市教育局", kind=Organisation.Kind.CITY)
    root = UserFactory(username="city_root", organisation=city2, is_superuser=True, is_staff=True)
    other_bureau = county.c.school.parent
    for bureau, parent in ((county.bureau, city), (other_bureau, city2)):
        org_services.organisation_update(actor=root, organisation=bureau, name=bureau.name, parent=parent)
    county.city = SimpleNamespace(
        city=city,
        city2=city2,
        root=root,
        user=UserFactory(username="city_user", organisation=city),
        other_user=UserFactory(username="city2_user", organisation=city2),
    )
    return county.city
