"""Working groups are an audited write of the leading group's editors."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from plans.models import WorkingGroup
from plans.services import working_group_create


def test_creating_a_working_group_is_audited_once(county):
    a = county.a
    group = working_group_create(actor=a.office, plan=a.plan, name="质量提升组")
    again = working_group_create(actor=a.office, plan=a.plan, name="质量提升组")
    assert group == again
    entry = AuditEntry.objects.get(action="plans.working_group.created")
    assert (entry.actor, entry.plan_id, entry.target_id, entry.data) == (a.office, a.plan.pk, group.pk, {"name": "质量提升组"})


def test_members_and_other_schools_may_not_create_groups(county):
    for user in (county.a.member, county.b.leader):
        with pytest.raises(NotAllowed):
            working_group_create(actor=user, plan=county.a.plan, name="x")
    with pytest.raises(DomainError):
        working_group_create(actor=None, plan=county.a.plan, name="  ")
    assert not WorkingGroup.objects.exists()
