"""Races on one plan's acceptance, with real threads and real connections (SQLite here, PostgreSQL in
CI when DATABASE_URL is set): exactly one wins, nothing is lost, the loser gets a clear message."""

from __future__ import annotations

import datetime

import pytest

from acceptance.models import Application, InspectorRating, SelfRating
from acceptance.services import application_submit, inspection_team_set, inspector_rating_set, self_rating_set
from audit.models import AuditEntry
from plans.models import Plan
from tests.acceptance.helpers import applied, ready_to_apply
from tests.factories import UserFactory
from tests.tasks.test_concurrency import one_winner, race

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(2))
def test_a_double_click_on_apply_makes_one_application(county, round_):
    a = county.a
    ready_to_apply(a)
    outcomes = race(
        lambda: application_submit(actor=a.leader, plan=a.plan.pk),
        lambda: application_submit(actor=a.leader, plan=a.plan.pk),
    )
    one_winner(outcomes)
    assert Application.objects.filter(plan=a.plan).count() == 1
    assert AuditEntry.objects.filter(action="acceptance.application.submitted").count() == 1
    assert Plan.objects.get(pk=a.plan.pk).status == Plan.Status.ACCEPTANCE


@pytest.mark.parametrize("round_", range(2))
def test_applying_while_the_office_rates(county, round_):
    """The office lowers a rating (75 < 85) at the instant the leader applies: either the rating
    lands first and the application is refused, or the application wins and the rating is refused."""
    a = county.a
    criteria = ready_to_apply(a)
    outcomes = race(
        lambda: application_submit(actor=a.leader, plan=a.plan.pk),
        lambda: self_rating_set(actor=a.office, criterion=criteria[0].pk, tier=4),
    )
    winner = one_winner(outcomes)
    plan = Plan.objects.get(pk=a.plan.pk)
    rating = SelfRating.objects.get(criterion=criteria[0])
    if winner == 0:
        assert plan.status == Plan.Status.ACCEPTANCE and rating.tier == 1
        assert Application.objects.get().self_score == 100
    else:
        assert plan.status == Plan.Status.ACTIVE and rating.tier == 4 and not Application.objects.exists()


@pytest.mark.parametrize("round_", range(2))
def test_two_inspectors_save_the_same_criterion_at_once(county, round_):
    criteria, application = applied(county.a)
    second = UserFactory(username=f"insp2_{round_}", organisation=county.office, bureau_role="inspector")
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        members=[second], inspection_date=datetime.date(2026, 12, 1))
    outcomes = race(
        lambda: inspector_rating_set(actor=county.inspector, application=application.pk, criterion=criteria[0].pk,
                                     tier=2, remark="基本达到"),
        lambda: inspector_rating_set(actor=second, application=application.pk, criterion=criteria[0].pk, tier=3,
                                     remark="不足"),
    )
    assert outcomes == ["ok", "ok"]  # independent ratings: both kept, neither lost
    tiers = dict(InspectorRating.objects.values_list("inspector__username", "tier"))
    assert tiers == {county.inspector.username: 2, second.username: 3}
