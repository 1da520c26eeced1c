"""The acceptance form is written by its own service: permission, validation, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from acceptance.models import AcceptanceCriterion
from acceptance.services import criterion_create
from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed


def test_the_office_adds_a_criterion_and_it_is_audited(county):
    a = county.a
    first = criterion_create(actor=a.office, plan=a.plan, category="办学条件", point="生均图书达标", max_score=Decimal("5"))
    second = criterion_create(actor=a.office, plan=a.plan, category="办学条件", point="校舍达标", max_score=Decimal("3"))
    assert (first.order, second.order) == (1, 2)
    entry = AuditEntry.objects.get(action="acceptance.criterion.created", target_id=first.pk)
    assert entry.actor == a.office and entry.plan_id == a.plan.pk


@pytest.mark.parametrize("who", ["member", "staff"])
def test_members_and_outsiders_may_not_change_the_form(county, who):
    with pytest.raises(NotAllowed):
        criterion_create(actor=getattr(county.a, who), plan=county.a.plan, category="", point="x", max_score=Decimal("1"))
    with pytest.raises(NotAllowed):
        criterion_create(actor=county.b.office, plan=county.a.plan, category="", point="x", max_score=Decimal("1"))
    assert not AcceptanceCriterion.objects.exists()


@pytest.mark.parametrize(("point", "score", "message"), [("  ", Decimal("1"), "评估要点"), ("x", Decimal("-1"), "负数")])
def test_bad_input_is_a_message(county, point, score, message):
    with pytest.raises(DomainError, match=message):
        criterion_create(actor=None, plan=county.a.plan, category="", point=point, max_score=score)
    assert not AcceptanceCriterion.objects.exists()
