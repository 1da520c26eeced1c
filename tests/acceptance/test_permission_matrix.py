"""Every acceptance action × every role (school seats, the bureau's admin, an inspector on the team
and one not on it, another county, the centre school, the city over the county and another city):
the allowed ones succeed, the refused ones raise NotAllowed and change nothing (no audit row, no
rating, no state change). The city's spot check (抽检): only the city over the school opens it and
re-forms its team, only its team (the city user leading it here) rates it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from acceptance import services
from acceptance.models import Application
from audit.models import AuditEntry
from plans.models import Plan
from tests.acceptance.helpers import accepted, add_form, applied, ready_to_apply
from tests.city_helpers import with_city
from tests.factories import UserFactory
from tests.workflow_helpers import pdf

pytestmark = pytest.mark.django_db
DATE = datetime.date(2026, 12, 1)

ACTORS = [
    "leader", "deputy", "office", "member", "staff", "other_school_leader",
    "bureau_admin", "team_leader", "team_member", "off_team_inspector", "other_county", "centre_head",
    "city_user", "other_city_user",
]


def people(county):
    a = county.a
    return {
        "leader": a.leader, "deputy": a.deputy, "office": a.office, "member": a.member, "staff": a.staff,
        "other_school_leader": county.b.leader, "bureau_admin": county.bureau_admin,
        "team_leader": county.inspector,
        "team_member": UserFactory(username="team_member", organisation=county.office, bureau_role="inspector"),
        "off_team_inspector": UserFactory(username="off_team", organisation=county.office, bureau_role="inspector"),
        "other_county": county.other_bureau_user, "centre_head": county.centre_head,
        "city_user": with_city(county).user, "other_city_user": with_city(county).other_user,
    }


def _inspecting(county, who):
    criteria, application = applied(county.a)
    services.inspection_team_set(actor=county.bureau_admin, application=application, leader=who["team_leader"],
                                 members=[who["team_member"]], inspection_date=DATE)
    return criteria, application


def _rectifying(county, who):
    criteria, application = _inspecting(county, who)
    for criterion in criteria:
        services.final_rating_set(actor=who["team_leader"], application=application, criterion=criterion, tier=4,
                                  rectify=True)
    services.inspection_result_record(actor=who["team_leader"], application=application)
    return county.a.plan.rectification_items.first()


def _notice(county, who):
    criteria, application = _inspecting(county, who)
    for criterion in criteria:
        services.final_rating_set(actor=who["team_leader"], application=application, criterion=criterion, tier=1)
    services.inspection_result_record(actor=who["team_leader"], application=application)
    return application


def _spot(county, who):
    criteria, _ = accepted(county)
    check = services.spot_check_open(actor=who["city_user"], plan=county.a.plan, leader=who["city_user"],
                                     inspection_date=DATE)
    return criteria, check


# action → (set-up returning what the call needs, the call, who may)
ACTIONS = {
    "self_rate": (
        lambda county, who: add_form(county.a.plan, n=1)[0],
        lambda actor, c, who: services.self_rating_set(actor=actor, criterion=c, tier=1),
        {"leader", "deputy", "office"},
    ),
    "apply": (
        lambda county, who: ready_to_apply(county.a) and county.a.plan,
        lambda actor, plan, who: services.application_submit(actor=actor, plan=plan),
        {"leader"},
    ),
    "form_team": (
        lambda county, who: applied(county.a)[1],
        lambda actor, app, who: services.inspection_team_set(actor=actor, application=app, leader=who["team_leader"],
                                                             inspection_date=DATE),
        {"bureau_admin"},
    ),
    "inspector_rate": (
        _inspecting,
        lambda actor, ctx, who: services.inspector_rating_set(actor=actor, application=ctx[1], criterion=ctx[0][0],
                                                              tier=1),
        {"team_leader", "team_member"},
    ),
    "settle": (
        _inspecting,
        lambda actor, ctx, who: services.final_rating_set(actor=actor, application=ctx[1], criterion=ctx[0][0], tier=1),
        {"team_leader"},
    ),
    "assign_item": (
        _rectifying,
        lambda actor, item, who: services.rectification_assign(actor=actor, item=item, owner=who["member"],
                                                               due_on=datetime.date.today()),
        {"leader", "deputy", "office"},
    ),
    "objection": (
        _notice,
        lambda actor, app, who: services.objection_record(actor=actor, application=app, text="异议"),
        {"bureau_admin"},
    ),
    "open_spot_check": (
        lambda county, who: accepted(county) and county.a.plan,
        lambda actor, plan, who: services.spot_check_open(actor=actor, plan=plan, leader=who["city_user"],
                                                          inspection_date=DATE),
        {"city_user"},
    ),
    "spot_team": (
        _spot,
        lambda actor, ctx, who: services.spot_check_team_set(actor=actor, application=ctx[1], leader=who["city_user"],
                                                             inspection_date=DATE),
        {"city_user"},
    ),
    "spot_rate": (
        _spot,
        lambda actor, ctx, who: services.inspector_rating_set(actor=actor, application=ctx[1], criterion=ctx[0][0],
                                                              tier=1),
        {"city_user"},
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ACTORS)
def test_permission_matrix(county, action, role):
    who = people(county)
    setup, call, allowed = ACTIONS[action]
    target = setup(county, who)
    audit_before = AuditEntry.objects.count()
    state_before = (Plan.objects.get(pk=county.a.plan.pk).status, list(Application.objects.values_list("status")))
    if role in allowed:
        call(who[role], target, who)
        assert AuditEntry.objects.count() > audit_before
        return
    with pytest.raises(PermissionDenied):
        call(who[role], target, who)
    assert AuditEntry.objects.count() == audit_before
    assert (Plan.objects.get(pk=county.a.plan.pk).status, list(Application.objects.values_list("status"))) == state_before


def test_the_owner_alone_submits_a_rectification(county):
    who = people(county)
    item = _rectifying(county, who)
    services.rectification_assign(actor=county.a.office, item=item, owner=who["member"], due_on=datetime.date.today())
    for role in ("leader", "office", "bureau_admin", "team_leader"):
        with pytest.raises(PermissionDenied):
            services.rectification_submit(actor=who[role], item=item, note="x", upload=pdf())
    services.rectification_submit(actor=who["member"], item=item, note="已整改", upload=pdf())
