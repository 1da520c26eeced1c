"""Organisations and accounts: every write is audited, and only the right people may make it."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from orgs import services
from orgs.models import Organisation, User


def test_creating_an_account_is_audited_with_its_actor(county):
    user = services.user_create(
        actor=county.bureau_admin, username="new_teacher", password="pw-for-tests-1", organisation=county.a.school
    )
    entry = AuditEntry.objects.get(action="orgs.user.created", target_id=user.pk)
    assert entry.actor == county.bureau_admin and entry.target_type == "orgs.user" and entry.plan_id is None
    assert entry.data == {"username": "new_teacher", "organisation": county.a.school.code, "bureau_role": ""}


def test_creating_an_organisation_is_audited(county):
    org = services.organisation_create(
        actor=county.bureau_admin, code="new-school", name="新学校", kind=Organisation.Kind.SCHOOL, parent=county.bureau
    )
    entry = AuditEntry.objects.get(action="orgs.organisation.created", target_id=org.pk)
    assert entry.actor == county.bureau_admin and entry.data == {"code": "new-school"}


@pytest.mark.parametrize("who", ["other_bureau_user", "inspector", "centre_head"])
def test_others_may_not_create_accounts_and_nothing_is_written(county, who):
    users, entries = User.objects.count(), AuditEntry.objects.count()
    with pytest.raises(NotAllowed):
        services.user_create(
            actor=getattr(county, who), username="x", password="pw-for-tests-1", organisation=county.a.school
        )
    assert (User.objects.count(), AuditEntry.objects.count()) == (users, entries)


def test_a_taken_username_is_a_message(county):
    with pytest.raises(DomainError, match="已被使用"):
        services.user_create(actor=None, username=county.a.member.username, password="x", organisation=county.a.school)
