"""Races on an uploaded 评分表, with real threads and connections: a double click on 确认 writes once;
a confirmation racing the inspector's own rating on the page never overwrites it unseen."""

from __future__ import annotations

import datetime
import io

import pytest

from acceptance.models import InspectorRating
from acceptance.services import inspection_team_set, inspector_rating_set
from audit.models import AuditEntry
from core.errors import StaleObject
from excel.scoresheet import scoresheet_workbook
from excel.scoresheet_services import scoresheet_confirm, scoresheet_preview
from tests.acceptance.helpers import applied
from tests.excel.test_scoresheet import fill
from tests.tasks.test_concurrency import one_winner, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def previewed(county, entries):
    criteria, application = applied(county.a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    application.refresh_from_db()
    sheet = fill(scoresheet_workbook(application, county.inspector).read(),
                 {criteria[i].pk: value for i, value in entries.items()})
    row = scoresheet_preview(actor=county.inspector, application=application, fileobj=io.BytesIO(sheet),
                             source_name="评分表.xlsx")
    return criteria, application, row


@pytest.mark.parametrize("round_", range(2))
def test_two_simultaneous_confirmations_write_once(county, round_):
    criteria, _, row = previewed(county, {0: (1, "好"), 1: (2, "")})
    results = []
    outcomes = race(
        lambda: results.append(scoresheet_confirm(actor=county.inspector, token=row.token)),
        lambda: results.append(scoresheet_confirm(actor=county.inspector, token=row.token)),
    )
    assert outcomes == ["ok", "ok"]
    assert sum(1 for r in results if getattr(r, "just_imported", False)) == 1
    assert InspectorRating.objects.count() == 2
    assert AuditEntry.objects.filter(action="acceptance.inspection.rated").count() == 2
    assert AuditEntry.objects.filter(action="excel.scoresheet.imported").count() == 1


@pytest.mark.parametrize("round_", range(2))
def test_a_confirmation_racing_a_rating_on_the_page(county, round_):
    criteria, application, row = previewed(county, {0: (1, "表格")})
    outcomes = race(
        lambda: scoresheet_confirm(actor=county.inspector, token=row.token),
        lambda: inspector_rating_set(actor=county.inspector, application=application.pk, criterion=criteria[0].pk,
                                     tier=4, remark="页面", version=0),
    )
    winner = one_winner(outcomes)
    rating = InspectorRating.objects.get()
    assert (rating.tier, rating.remark, rating.version) == ((1, "表格", 1) if winner == 0 else (4, "页面", 1))
    loser = outcomes[1 - winner]
    if winner == 0:  # the page's form was built before the upload's write
        assert isinstance(loser, StaleObject)
    else:  # the upload's dry run saw version 0, the page wrote version 1
        assert any("已被他人修改" in p.message for p in loser.problems)
