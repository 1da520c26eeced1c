"""The scoring page (评分表) as the team sees it: the school's archive completeness near the top,
and the criterion rows built in Python (acceptance.rendering): escaped, CSP-clean, every form."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from acceptance.services import (
    application_submit,
    final_rating_set,
    inspection_team_set,
    inspector_rating_set,
    na_claim_decide,
    self_rating_set,
)
from archives import services as archive_services
from tests.acceptance.helpers import add_form, finish_all_stages, rate_all
from tests.archives.helpers import days_ago, item, opened
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    client.logout()
    assert client.login(username=user.username, password=PASSWORD)


def section(body: str, marker: str) -> str:
    return body.split(marker, 1)[1].split("</section>", 1)[0]


def inspect(county, archive: bool = False):
    """School A's form of four: criterion 1 with markup in its text, criterion 4 claimed not
    applicable; with ``archive``, its archive opened and one of its 20 items filed first."""
    a = county.a
    if archive:
        scheme, (evidence, _) = opened(a)
        archive_services.filing_create(actor=a.office, plan=a.plan, item=item(scheme, "逐项自评表"), source="task",
                                       source_id=evidence.pk, title="", document_date=days_ago(1))
    criteria = add_form(a.plan)
    criteria[0].point = "<script>x</script>要点"
    criteria[0].save(update_fields=["point"])
    rate_all(a, criteria[:3])
    self_rating_set(actor=a.office, criterion=criteria[1], tier=2, note="<i>台账</i>")
    self_rating_set(actor=a.office, criterion=criteria[3], tier=None, not_applicable=True, na_reason="无食堂")
    finish_all_stages(a)
    application = application_submit(actor=a.leader, plan=a.plan)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    return criteria, application


@pytest.fixture
def inspecting(county):
    return inspect(county)


def test_the_page_shows_the_schools_archive_completeness(client, county):
    _, application = inspect(county, archive=True)
    a = county.a
    login(client, county.inspector)
    body = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    badge = body.split('id="archive-completeness"', 1)[1].split("</p>", 1)[0]
    assert f'data-archive-plan="{a.plan.pk}"' in badge
    assert "已齐全 1/20" in badge and "缺失 19" in badge
    assert body.index('id="archive-completeness"') < body.index('id="row-')  # near the top


def test_a_school_without_an_archive_reads_as_such(client, county, inspecting):
    _, application = inspecting
    login(client, county.bureau_admin)
    body = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    badge = body.split('id="archive-completeness"', 1)[1].split("</p>", 1)[0]
    assert "未建档" in badge


def test_the_rows_escape_what_people_wrote_and_carry_every_form(client, county, inspecting):
    criteria, application = inspecting
    lead = county.inspector
    inspector_rating_set(actor=lead, application=application, criterion=criteria[0], tier=3, remark="<b>缺</b>")
    final_rating_set(actor=lead, application=application, criterion=criteria[0], tier=3, rectify=True,
                     remark='补齐"台账"')
    login(client, lead)
    body = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    assert "<script>x" not in body and "&lt;script&gt;x&lt;/script&gt;要点" in body
    assert "&lt;i&gt;台账&lt;/i&gt;" in body and "&lt;b&gt;缺&lt;/b&gt;" in body
    assert not re.search(r"\sstyle=|\son[a-z]+=", body)  # the CSP: no inline style or handler

    first = section(body, f'id="row-{criteria[0].pk}"')
    assert "<strong>3档</strong>" in first and "需整改" in first
    own, final = first.split("组长确定最终等级")
    assert re.search(r'name="tier" value="3" checked', own) and 'value="&lt;b&gt;缺&lt;/b&gt;"' in own
    assert re.search(r'name="tier" value="3" checked', final) and 'name="rectify" checked' in final
    assert 'value="补齐&quot;台账&quot;"' in final
    assert re.findall(r'name="version" value="(\d+)"', first) == ["1", "1"]
    assert first.count('name="csrfmiddlewaretoken"') == 2
    assert 'aria-label="我的评分"' in own and 'aria-label="最终等级"' in final

    claimed = section(body, f'id="row-{criteria[3].pk}"')
    assert "申报不适用（理由：无食堂）" in claimed and "保存我的评分" not in claimed
    assert 'value="confirm"' in claimed and 'value="overrule"' in claimed
    na_claim_decide(actor=lead, application=application, criterion=criteria[3], confirm=True)
    body = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    claimed = section(body, f'id="row-{criteria[3].pk}"')
    assert "确认不适用</td>" in claimed and "<form" not in claimed


def test_the_bureau_admin_reads_the_rows_without_forms(client, county, inspecting):
    criteria, application = inspecting
    login(client, county.bureau_admin)
    body = client.get(reverse("acceptance:inspection", args=[application.pk])).content.decode()
    assert all(f'id="row-{c.pk}"' in body for c in criteria)
    assert "<form" not in section(body, f'id="row-{criteria[0].pk}"')
