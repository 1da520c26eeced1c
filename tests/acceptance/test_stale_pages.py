"""A rating or a settlement posted from a page that is out of date is refused and changes nothing:
the form carries the version of the row it was built from (as the self-assessment does)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from acceptance.models import FinalRating, InspectorRating
from acceptance.services import (
    final_rating_set,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
)
from audit.models import AuditEntry
from core.errors import StaleObject
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspecting(county):
    criteria, application = applied(county.a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    return criteria, application


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def versions_on_page(body: str, criterion_pk: int) -> list[str]:
    """The version fields of one criterion's forms, in page order (own rating, then settlement)."""
    section = body.split(f'id="row-{criterion_pk}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'name="version" value="(\d+)"', section)


def test_the_page_carries_the_versions_it_was_built_from(client, county, inspecting):
    criteria, application = inspecting
    board = reverse("acceptance:inspection", args=[application.pk])
    login(client, county.inspector)
    assert versions_on_page(client.get(board).content.decode(), criteria[0].pk) == ["0", "0"]
    inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=2)
    final_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=2)
    final_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=3)
    assert versions_on_page(client.get(board).content.decode(), criteria[0].pk) == ["1", "2"]


def test_a_rating_from_a_stale_page_is_refused_and_changes_nothing(client, county, inspecting):
    criteria, application = inspecting
    rate = reverse("acceptance:inspector_rate", args=[application.pk])
    login(client, county.inspector)
    # Given two tabs built from version 0: the first saves …
    client.post(rate, {"criterion": criteria[0].pk, "tier": "1", "remark": "第一页", "version": "0"})
    audit_rows = AuditEntry.objects.count()
    # … when the second, still at version 0, posts,
    response = client.post(rate, {"criterion": criteria[0].pk, "tier": "4", "remark": "旧页面", "version": "0"},
                           follow=True)
    # then it is told to refresh and the first rating stands.
    assert "已被他人修改，请刷新" in response.content.decode()
    rating = InspectorRating.objects.get()
    assert (rating.tier, rating.remark, rating.version) == (1, "第一页", 1)
    assert AuditEntry.objects.count() == audit_rows
    # A fresh page (version 1) saves.
    client.post(rate, {"criterion": criteria[0].pk, "tier": "4", "remark": "新页面", "version": "1"})
    rating.refresh_from_db()
    assert (rating.tier, rating.version) == (4, 2)


def test_the_service_refuses_a_stale_version(county, inspecting):
    criteria, application = inspecting
    inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=1, version=0)
    with pytest.raises(StaleObject, match="已被他人修改，请刷新"):
        inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=3,
                             version=0)
    assert InspectorRating.objects.get().tier == 1


def test_a_settlement_from_a_stale_page_is_refused_and_changes_nothing(client, county, inspecting):
    criteria, application = inspecting
    final = reverse("acceptance:final_set", args=[application.pk])
    login(client, county.inspector)
    client.post(final, {"criterion": criteria[1].pk, "tier": "2", "rectify": "on", "remark": "补材料", "version": "0"})
    audit_rows = AuditEntry.objects.count()
    response = client.post(final, {"criterion": criteria[1].pk, "tier": "1", "version": "0"}, follow=True)
    assert "已被他人修改，请刷新" in response.content.decode()
    settled = FinalRating.objects.get()
    assert (settled.tier, settled.rectify, settled.remark, settled.version) == (2, True, "补材料", 1)
    assert AuditEntry.objects.count() == audit_rows


def test_a_claim_decision_from_a_stale_page_is_refused(client, county, inspecting):
    criteria, application = inspecting
    # The school claimed the criterion does not apply before it applied (the plan is frozen now,
    # so the claim is set up on a second criterion through the stored row).
    rating = criteria[2].self_rating
    rating.not_applicable, rating.tier, rating.na_reason = True, None, "无寄宿生"
    rating.save()
    final = reverse("acceptance:final_set", args=[application.pk])
    login(client, county.inspector)
    # The leader overrules in one tab (version 0 → 1) …
    client.post(final, {"criterion": criteria[2].pk, "claim": "overrule", "version": "0"})
    # … and a second tab, built before, tries to confirm it.
    response = client.post(final, {"criterion": criteria[2].pk, "claim": "confirm", "version": "0"}, follow=True)
    assert "已被他人修改，请刷新" in response.content.decode()
    assert FinalRating.objects.get(criterion=criteria[2]).claim == FinalRating.Claim.OVERRULED
    with pytest.raises(StaleObject):
        na_claim_decide(actor=county.inspector, application=application, criterion=criteria[2], confirm=True,
                        version=0)
    with pytest.raises(StaleObject):
        final_rating_set(actor=county.inspector, application=application, criterion=criteria[2], tier=1, version=0)
    assert FinalRating.objects.get(criterion=criteria[2]).tier is None


def test_a_page_without_a_version_is_still_accepted(county, inspecting):
    """Pages cached from before this change post no version: those are not checked (as 自评)."""
    criteria, application = inspecting
    inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=1)
    inspector_rating_set(actor=county.inspector, application=application, criterion=criteria[0], tier=2)
    assert InspectorRating.objects.get().tier == 2
