"""我的待办 lists acceptance work (workflows.inbox sections from acceptance.inbox): an inspector's
inspections, a school user's rectification items, the office's items to assign or review; never
someone else's; the header's count includes them."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acceptance.models import RectificationItem
from acceptance.services import (
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    rectification_assign,
)
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD, UserFactory
from workflows.selectors import inbox_counts

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def inspecting(county, school, members=()):
    criteria, application = applied(school)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        members=list(members), inspection_date=timezone.localdate() + datetime.timedelta(days=3))
    return criteria, application


def test_the_team_sees_the_inspection_and_nobody_else(client, county):
    member = UserFactory(username="insp_member", organisation=county.office, bureau_role="inspector")
    outsider = UserFactory(username="insp_outsider", organisation=county.office, bureau_role="inspector")
    _, application = inspecting(county, county.a, members=[member])
    link = reverse("acceptance:inspection", args=[application.pk])

    for user, badge in ((county.inspector, "组长：评分并确定结论"), (member, "待评分")):
        login(client, user)
        body = client.get(reverse("inbox")).content.decode()
        assert 'id="inspections"' in body and link in body and badge in body and "a学校" in body
        assert inbox_counts(user) == 1
        # Bureau staff reach 我的待办 from the header once something waits for them, with its count.
        assert 'id="inbox-count">1<' in client.get(reverse("acceptance:overview")).content.decode()
        # 我的待办 counts its own lists for the header: the same number.
        assert 'id="inbox-count">1<' in body
        client.logout()

    for user in (outsider, county.other_bureau_user, county.a.leader):
        login(client, user)
        body = client.get(reverse("inbox")).content.decode()
        assert link not in body and 'id="inspections"' not in body
        client.logout()
    login(client, outsider)
    assert "我的待办" not in client.get(reverse("acceptance:overview")).content.decode()
    assert inbox_counts(outsider) == 0


def test_an_inspector_sees_only_their_own_sections_and_never_an_empty_task_card(client, county):
    """Bureau staff never hold tasks: 我的待办 shows what acceptance gives them, or says nothing
    waits, and no 待我办理 card or tile."""
    login(client, county.inspector)
    idle = client.get(reverse("inbox")).content.decode()
    assert 'id="to-do"' not in idle and "待我办理" not in idle
    assert "目前没有需要您处理的事项" in idle

    _, application = inspecting(county, county.a)
    busy = client.get(reverse("inbox")).content.decode()
    assert 'id="inspections"' in busy and reverse("acceptance:inspection", args=[application.pk]) in busy
    assert 'id="to-do"' not in busy and "目前没有需要您处理的事项" not in busy

    login(client, county.a.member)  # school staff keep their card, empty or not
    assert 'id="to-do"' in client.get(reverse("inbox")).content.decode()


def test_rectification_items_wait_for_their_owner_and_the_office(client, county):
    a = county.a
    criteria, application = inspecting(county, a)
    for criterion, tier in zip(criteria, (1, 1, 4, 4), strict=True):
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=tier,
                         rectify=tier == 4)
    inspection_result_record(actor=county.inspector, application=application)
    first, second = RectificationItem.objects.filter(plan=a.plan).order_by("pk")
    office_before = inbox_counts(a.office)
    rectification_assign(actor=a.office, item=first, owner=a.member2, due_on=timezone.localdate())

    login(client, a.member2)
    body = client.get(reverse("inbox")).content.decode()
    assert 'id="rectification-mine"' in body and f"#rectification-{first.pk}" in body
    assert f"#rectification-{second.pk}" not in body  # not assigned to them
    # 我的待办 counts its own lists for the header: the number every other page shows.
    assert f'id="inbox-count">{inbox_counts(a.member2)}<' in body
    assert f'id="inbox-count">{inbox_counts(a.member2)}<' in client.get(reverse("home")).content.decode()
    client.logout()

    login(client, a.office)
    body = client.get(reverse("inbox")).content.decode()
    assert 'id="rectification-handle"' in body and f"#rectification-{second.pk}" in body and "待分派" in body
    assert f"#rectification-{first.pk}" not in body  # with its owner now
    assert inbox_counts(a.office) == office_before - 1
    assert f'id="inbox-count">{office_before - 1}<' in body
    client.logout()

    login(client, county.b.office)  # another school's office sees none of it
    body = client.get(reverse("inbox")).content.decode()
    assert "rectification-" not in body


def test_the_count_does_not_grow_with_the_number_of_inspections(county):
    inspecting(county, county.a)
    inbox_counts(county.inspector)  # the user's grants are read once, then cached on the user
    with CaptureQueriesContext(connection) as one:
        assert inbox_counts(county.inspector) == 1
    inspecting(county, county.b)
    inbox_counts(county.inspector)
    with CaptureQueriesContext(connection) as two:
        assert inbox_counts(county.inspector) == 2
    assert len(one.captured_queries) == len(two.captured_queries) > 0
