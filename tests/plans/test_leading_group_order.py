"""The leading group is listed 组长 first, then 副组长, 办公室, 成员: on the plan page, the
leading-group page and in the assignee choices (not the alphabetical order of the role codes)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from plans.selectors import plan_leading_group
from tasks.forms import seat_choices
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ORDER = ["组长", "副组长", "办公室主任", "成员", "成员"]


def test_selector_and_choices_put_the_leader_first(county):
    a = county.a
    assert [seat.get_role_display() for seat in plan_leading_group(a.plan)] == ORDER
    assert [label.split("（")[1].rstrip("）") for _, label in seat_choices(a.plan)] == ORDER


@pytest.mark.parametrize("page", ["plans:plan_detail", "plans:leading_group"])
def test_pages_list_the_leader_first(client, county, page):
    a = county.a
    assert client.login(username=a.member.username, password=PASSWORD)
    body = client.get(reverse(page, args=[a.plan.pk])).content.decode()
    roles = re.findall(r"<td[^>]*>(组长|副组长|办公室主任|成员)</td>", body)
    assert roles[:5] == ORDER, roles
