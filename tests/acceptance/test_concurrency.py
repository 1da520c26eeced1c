"""Races on one plan's acceptance, with real threads, each on its own database connection (closed
when the thread ends): exactly one wins, nothing is lost, the loser gets a clear message.

They run on the configured database: SQLite by default, PostgreSQL with DATABASE_URL set, e.g.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_accsc .venv/bin/python -m pytest tests/acceptance/test_concurrency.py

(transactional tests: the threads see the rows the test committed, and the services' row locks
are real on PostgreSQL, IMMEDIATE transactions on SQLite)."""

from __future__ import annotations

import datetime

import pytest

from acceptance.models import Application, FinalRating, InspectorRating, SelfRating
from acceptance.selectors import final_result
from acceptance.services import (
    application_submit,
    final_rating_set,
    inspection_result_record,
    inspection_team_set,
    inspector_rating_set,
    self_rating_set,
)
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
    ratings_before = AuditEntry.objects.filter(action="acceptance.self_rating.set").count()
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
        assert AuditEntry.objects.filter(action="acceptance.self_rating.set").count() == ratings_before
    else:
        assert plan.status == Plan.Status.ACTIVE and rating.tier == 4 and not Application.objects.exists()
        assert not AuditEntry.objects.filter(action="acceptance.application.submitted").exists()
        assert AuditEntry.objects.filter(action="acceptance.self_rating.set").count() == ratings_before + 1


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
    assert AuditEntry.objects.filter(action="acceptance.inspection.rated").count() == 2


@pytest.mark.parametrize("round_", range(2))
def test_one_inspector_saving_one_criterion_twice_at_once_keeps_one_rating(county, round_):
    """A double click on 保存我的评分 with two different tiers: one row, the tier of the save that
    came last (its audit row is the last one), no duplicate-key crash."""
    criteria, application = applied(county.a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    outcomes = race(
        lambda: inspector_rating_set(actor=county.inspector, application=application.pk, criterion=criteria[0].pk,
                                     tier=2),
        lambda: inspector_rating_set(actor=county.inspector, application=application.pk, criterion=criteria[0].pk,
                                     tier=3),
    )
    assert outcomes == ["ok", "ok"]
    rating = InspectorRating.objects.get(application=application, criterion=criteria[0])
    last = AuditEntry.objects.filter(action="acceptance.inspection.rated").order_by("-pk").first()
    assert AuditEntry.objects.filter(action="acceptance.inspection.rated").count() == 2
    assert last is not None and last.to_state == f"{rating.tier}档"


@pytest.mark.parametrize("round_", range(2))
def test_settling_a_tier_while_the_result_is_recorded(county, round_):
    """The leader's last final tier and 记录验收结论 at once (two tabs): either the tier lands first and
    counts in the recorded score, or the result is recorded first and the late tier is refused."""
    criteria, application = applied(county.a)
    inspection_team_set(actor=county.bureau_admin, application=application, leader=county.inspector,
                        inspection_date=datetime.date(2026, 12, 1))
    for criterion in criteria[:-1]:
        final_rating_set(actor=county.inspector, application=application, criterion=criterion, tier=1)
    outcomes = race(
        lambda: final_rating_set(actor=county.inspector, application=application.pk, criterion=criteria[-1].pk,
                                 tier=1),
        lambda: inspection_result_record(actor=county.inspector, application=application.pk),
    )
    application.refresh_from_db()
    finals = FinalRating.objects.filter(application=application, tier__isnull=False).count()
    if outcomes[0] == "ok" and outcomes[1] == "ok":  # the tier first: the result counts it
        assert finals == 4 and application.final_score == final_result(application)[0].score
        assert application.status == Application.Status.NOTICE
    else:  # one refused with a clear message, and nothing half-done
        loser = next(o for o in outcomes if o != "ok")
        assert getattr(loser, "message", ""), repr(loser)
        if outcomes[1] == "ok":
            assert finals == 3 and application.status != Application.Status.INSPECTING
        else:
            assert application.status == Application.Status.INSPECTING and application.final_score is None


@pytest.mark.parametrize("round_", range(2))
def test_two_city_users_open_one_spot_check(county, round_):
    from acceptance.services import spot_check_open
    from tests.acceptance.helpers import accepted
    from tests.city_helpers import with_city

    city = with_city(county)
    colleague = UserFactory(username="city_colleague", organisation=city.city)
    accepted(county)
    day = datetime.date(2026, 12, 8)
    outcomes = race(
        lambda: spot_check_open(actor=city.user, plan=county.a.plan.pk, leader=city.user, inspection_date=day),
        lambda: spot_check_open(actor=colleague, plan=county.a.plan.pk, leader=colleague, inspection_date=day),
    )
    one_winner(outcomes)
    assert Application.objects.filter(plan=county.a.plan, kind=Application.Kind.SPOT).count() == 1
    assert AuditEntry.objects.filter(action="acceptance.spot_check.opened").count() == 1
