"""The county dashboard at city scale: one row per school of every county, summaries per county
and township that link to filters, a paged table, and the same number of queries however many
schools and counties."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.scale import build_scale
from dashboards import selectors
from dashboards.selectors import CountyFilters, county_dashboard, parse_county_filters
from orgs import grants
from orgs.models import Organisation, User
from tests.city_helpers import with_city

pytestmark = pytest.mark.django_db

COUNTY = reverse("dashboards:county")


def _attach_neighbour(county):
    """Put the neighbouring county under the first city too: the city then has two counties."""
    city = with_city(county)
    bureau = county.c.school.parent
    bureau.parent = city.city
    bureau.save(update_fields=["parent"])
    grants.resync_county_visibility(bureau)
    return city


def test_a_city_dashboard_sums_up_each_county_and_filters_by_county(client, county):
    city = _attach_neighbour(county)
    client.force_login(city.user)
    response = client.get(COUNTY)
    assert response.status_code == 200
    dash = response.context["dash"]
    assert dash.is_city
    assert {r.school.name for r in dash.rows} == {"a学校", "b学校", "c学校"}
    by_name = {c.name: c for c in dash.counties}
    assert by_name["示范县教育局"].schools == 2 and by_name["邻县教育局"].schools == 1
    html = response.content.decode()
    assert "全市看板" in html and 'id="county-summary"' in html
    filtered = client.get(COUNTY, {"county": county.bureau.pk}).context["dash"]
    assert {r.school.name for r in filtered.rows} == {"a学校", "b学校"}
    assert filtered.county_name == "示范县教育局"
    assert {t.name for t in filtered.township_summaries} == {"城关镇", "青石镇"}


def test_another_citys_county_filter_shows_nothing(client, county):
    city = with_city(county)
    client.force_login(city.other_user)
    response = client.get(COUNTY, {"county": county.bureau.pk})
    assert response.status_code == 200
    assert response.context["dash"].rows == []
    assert "a学校" not in response.content.decode()


@pytest.mark.parametrize("raw", ["abc", "-3", "0", "9" * 40, ""])
def test_bad_county_and_page_values_fall_back_to_the_default(raw):
    filters = parse_county_filters({"county": raw, "page": raw})
    assert filters.county is None and filters.page == 1


def test_the_school_table_is_paged_and_the_figures_count_every_school(client, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 4)
    build_scale(schools=10, tasks_per_school=30, prefix="pg")
    admin = User.objects.get(username="pg_admin")
    dash = county_dashboard(admin, CountyFilters(sort="school", page=3))
    assert (dash.pages, dash.page, len(dash.rows)) == (3, 3, 10)
    assert [r.school.code for r in dash.page_rows] == ["pg-s0009", "pg-s0010"]
    client.force_login(admin)
    response = client.get(COUNTY, {"sort": "school", "page": "2"})
    table = str(response.context["rows_html"])
    assert table.count("<tr") == 4
    assert all(f"第{i}学校" in table for i in (5, 6, 7, 8)) and "第9学校" not in table
    html = response.content.decode()
    assert "第 2 / 3 页" in html and "上一页" in html and "page=3" in html
    assert county_dashboard(admin, CountyFilters(page=99)).page == 3  # past the end: the last page


def _city_queries(client, prefix, counties, schools):
    for k in range(counties):
        build_scale(schools=schools, tasks_per_school=30, prefix=f"{prefix}{k}")
    city = Organisation.objects.create(code=f"{prefix}-city", name="市", kind=Organisation.Kind.CITY)
    for k in range(counties):
        bureau = Organisation.objects.get(code=f"{prefix}{k}-jyj")
        bureau.parent = city
        bureau.save(update_fields=["parent"])
        grants.resync_county_visibility(bureau)
    user = User.objects.create_user(username=f"{prefix}_city", organisation=city)
    grants.sync_user_organisation(user)
    client.force_login(user)
    client.get(COUNTY)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(COUNTY)
    assert response.status_code == 200
    assert len(response.context["dash"].rows) == counties * schools
    return len(ctx)


def test_the_city_dashboard_issues_the_same_number_of_queries_for_few_and_many_schools(client):
    assert _city_queries(client, "few", 2, 2) == _city_queries(client, "many", 3, 12)
