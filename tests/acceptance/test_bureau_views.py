"""The bureau's pages: who may open the scoring board, who may post to it, foreign ids, the certificate."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from acceptance.models import Application, FinalRating, InspectorRating
from acceptance.services import acceptance_finalise, final_rating_set, inspection_result_record, inspection_team_set
from tests.acceptance.helpers import applied
from tests.factories import PASSWORD, UserFactory

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


def test_the_board_is_for_the_team_and_the_bureau(client, county, inspecting):
    criteria, application = inspecting
    board = reverse("acceptance:inspection", args=[application.pk])
    login(client, county.inspector)
    body = client.get(board).content.decode()
    assert "保存我的评分" in body and "确定最终等级" in body
    login(client, county.bureau_admin)
    body = client.get(board).content.decode()
    assert "评估要点1" in body and "保存我的评分" not in body
    login(client, county.a.leader)
    assert client.get(board).status_code == 403
    for user in (county.other_bureau_user, county.centre_head):  # school A is not under the centre school
        login(client, user)
        assert client.get(board).status_code == 404
    assert client.get(reverse("acceptance:plan_acceptance", args=[county.a.plan.pk])).status_code == 404


def test_only_the_team_posts_ratings_and_only_its_leader_settles(client, county, inspecting):
    criteria, application = inspecting
    rate = reverse("acceptance:inspector_rate", args=[application.pk])
    final = reverse("acceptance:final_set", args=[application.pk])
    data = {"criterion": criteria[0].pk, "tier": "1"}
    for user in (county.a.leader, county.a.office, county.bureau_admin):
        login(client, user)
        assert client.post(rate, data).status_code == 403
        assert client.post(final, data).status_code == 403
    login(client, county.other_bureau_user)
    assert client.post(rate, data).status_code == 404
    assert not InspectorRating.objects.exists() and not FinalRating.objects.exists()
    login(client, county.inspector)
    response = client.post(rate, {"criterion": criteria[0].pk, "tier": "9"}, follow=True)
    assert "1档 至 4档" in response.content.decode() and not InspectorRating.objects.exists()
    client.post(rate, data)
    assert InspectorRating.objects.get().tier == 1


def test_the_team_form_refuses_a_foreign_inspector(client, county):
    _, application = applied(county.a)
    far = UserFactory(username="far", organisation=county.c.school.parent, bureau_role="inspector")
    login(client, county.bureau_admin)
    url = reverse("acceptance:team_set", args=[application.pk])
    response = client.post(url, {"leader": far.pk, "inspection_date": "2026-12-01"}, follow=True)
    assert "不能加入评估组" in response.content.decode()
    assert Application.objects.get(pk=application.pk).team_leader is None
    login(client, county.a.leader)
    assert client.post(url, {"leader": county.inspector.pk, "inspection_date": "2026-12-01"}).status_code == 403


def test_the_certificate_is_a_pdf_with_the_cjk_font_and_the_reference(client, county, inspecting):
    criteria, application = inspecting
    cert = reverse("acceptance:certificate", args=[application.pk])
    login(client, county.a.leader)
    assert client.get(cert).status_code == 404  # not accepted yet
    for criterion in criteria:
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=1)
    inspection_result_record(actor=county.inspector, application=application)
    application.refresh_from_db()
    acceptance_finalise(actor=None, application=application, today=application.notice_ends_on + datetime.timedelta(days=1))
    application.refresh_from_db()
    response = client.get(cert)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    assert b"STSong-Light" in body
    assert application.certificate_ref.encode() in body
    login(client, county.b.leader)
    assert client.get(cert).status_code == 404
