"""Writes for the acceptance form: the one writer of AcceptanceCriterion rows."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from acceptance.models import AcceptanceCriterion
from acceptance.permissions import can_edit_criteria
from audit.services import audit_record
from core.errors import DomainError, NotAllowed
from orgs.models import User
from plans.models import Plan


@transaction.atomic
def criterion_create(
    *, actor: User | None, plan: Plan, category: str, point: str, max_score: Decimal, applicable: bool = True
) -> AcceptanceCriterion:
    """Add a line to the plan's acceptance form (评估表). Leader, deputy or office (or a system job)."""
    if actor is not None and not can_edit_criteria(actor, plan):
        raise NotAllowed("只有组长、副组长或办公室可以修改评估表。")
    point = (point or "").strip()
    if not point:
        raise DomainError("请填写评估要点。")
    if max_score < 0:
        raise DomainError("分值不能为负数。")
    order = (plan.criteria.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    criterion = AcceptanceCriterion.objects.create(
        plan=plan, order=order, category=category, point=point, max_score=max_score, applicable=applicable
    )
    audit_record(
        actor=actor, action="acceptance.criterion.created", target=criterion, plan=plan, data={"point": point[:100]}
    )
    return criterion
