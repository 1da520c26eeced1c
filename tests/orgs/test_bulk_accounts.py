"""users_create_bulk (the roster import's path) keeps every guard and the audit of user_create."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from core.errors import DomainError, NotAllowed
from orgs import services
from orgs.models import User
from orgs.passwords import initial_password_hash
from plans.permissions import can_view_plan

pytestmark = pytest.mark.django_db


def _new(county, username, **extra):
    return services.NewUser(
        username=username,
        organisation=county.a.school,
        full_name="新老师",
        password_hash=initial_password_hash("Init-2026x"),
        must_change_password=True,
        **extra,
    )


def test_new_accounts_are_created_grouped_and_audited_one_row_each(county):
    users = services.users_create_bulk(
        actor=county.bureau_admin, items=[_new(county, "n1", phone="139 0000 0001"), _new(county, "n2")]
    )
    assert [u.username for u in users] == ["n1", "n2"]
    n1 = User.objects.get(username="n1")
    assert n1.phone == "13900000001" and n1.must_change_password and n1.check_password("Init-2026x")
    assert can_view_plan(n1, county.a.plan)  # in the school's group, as user_create does
    rows = AuditEntry.objects.filter(action="orgs.user.created", actor=county.bureau_admin)
    assert sorted(r.data["username"] for r in rows) == ["n1", "n2"]


@pytest.mark.parametrize(
    ("names", "extra", "message"),
    [
        (["n1", "A_MEMBER"], {}, "已被使用"),  # taken in the database, whatever the case
        (["n1", "N1"], {}, "已被使用"),  # twice in the batch
        (["n1", " "], {}, "不能为空"),
        (["n1"], {"phone": "12345"}, "手机号"),
    ],
)
def test_one_bad_account_refuses_the_batch(county, names, extra, message):
    before = (User.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError, match=message):
        services.users_create_bulk(
            actor=county.bureau_admin, items=[_new(county, n, **(extra if n == names[-1] else {})) for n in names]
        )
    assert (User.objects.count(), AuditEntry.objects.count()) == before


def test_only_who_manages_the_accounts_creates_them(county):
    before = User.objects.count()
    for actor in (county.a.leader, county.other_bureau_user, county.centre_head):
        with pytest.raises(NotAllowed):
            services.users_create_bulk(actor=actor, items=[_new(county, "n1")])
    assert User.objects.count() == before
