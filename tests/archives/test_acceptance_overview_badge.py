"""The bureau's acceptance overview shows each school's archive completeness (issue 14, point 3),
read through acceptance.extensions without acceptance importing archives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.archives.helpers import opened
from tests.archives.test_services import file
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_overview_rows_carry_the_archive_completeness(client, county):
    a = county.a
    scheme, (e1, _) = opened(a)
    file(a, scheme, e1, "逐项自评表")
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    body = client.get(reverse("acceptance:overview")).content.decode()
    assert "<th>档案</th>" in body
    assert f'data-archive-plan="{a.plan.pk}"' in body and "已齐全 1/20" in body
    # b's archive was never opened: its row still says so, and other counties' plans never show.
    assert f'data-archive-plan="{county.b.plan.pk}"' in body
    assert f'data-archive-plan="{county.c.plan.pk}"' not in body


def test_overview_pages_rows_and_keeps_filters(client, county):
    assert client.login(username=county.bureau_admin.username, password=PASSWORD)
    response = client.get(reverse("acceptance:overview") + "?page=999&sort=school")
    assert response.status_code == 200
    assert response.content.decode().count("<tr class") == 2
