"""Crawler-style isolation: every URL of the site with an id in it, every id in use, signed in as
each kind of role: no page or JSON answer names a school the role may not see.

The ids are tried against every pattern regardless of which model the pattern expects, so each
role also meets ids of its neighbours' plans, tasks, stages, measures, indicators and files.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from plans.models import Indicator, Measure, Plan, Stage
from tasks.models import Evidence, Task
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def patterns(resolver=None, prefix=""):
    """(route template, converter names) of every URL with integer parameters, admin left out."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith("admin/"):
            continue
        if isinstance(entry, URLResolver):
            yield from patterns(entry, route)
        elif isinstance(entry, URLPattern):
            converters = entry.pattern.converters
            if converters and all(type(c).__name__ == "IntConverter" for c in converters.values()):
                yield route, list(converters)


def fill(route: str, names: list[str], value: int) -> str:
    for name in names:
        route = route.replace(f"<int:{name}>", str(value))
    return "/" + route


# Who may not see whom: a role, and the school names that must never appear on its pages.
ROLES = {
    "a_member": ("a", ["b学校", "c学校"]),
    "a_staff": ("a_staff", ["b学校", "c学校"]),
    "centre_head": ("centre_head", ["a学校", "c学校"]),
    "bureau_admin": ("bureau_admin", ["c学校"]),
    "other_bureau_user": ("other_bureau_user", ["a学校", "b学校"]),
}


def user_for(county, key):
    if key == "a":
        return county.a.member
    if key == "a_staff":
        return county.a.staff
    return getattr(county, key)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_no_url_with_any_id_shows_a_role_a_school_it_may_not_see(county, role):
    key, forbidden = ROLES[role]
    client = Client()
    assert client.login(username=user_for(county, key).username, password=PASSWORD)
    # Every id in use (and one past the last): on PostgreSQL sequences keep counting across the
    # suite's rolled-back tests, so a range up to the largest id would try thousands of empty ones.
    in_use = {
        pk
        for model in (Plan, Task, Stage, Measure, Indicator, Evidence)
        for pk in model.objects.values_list("pk", flat=True)
    }
    values = sorted(in_use | {max(in_use, default=0) + 1})
    routes = list(patterns())
    assert len(routes) >= 10
    leaks, answered = [], 0
    for route, names in routes:
        for value in values:
            url = fill(route, names, value)
            response = client.get(url)
            kind = response.get("Content-Type", "")
            if response.status_code != 200 or not (kind.startswith("text/html") or "json" in kind):
                continue
            body = response.content.decode()
            answered += 1
            leaks += [f"{url}: {name}" for name in forbidden if name in body]
    assert leaks == []
    assert answered >= 5  # the crawl reached real pages of the role's own schools, not only refusals
