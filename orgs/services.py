"""Writes for organisations and people. Each service checks permission, guards state and writes its
audit row in one transaction; grants follow the change (orgs.grants)."""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from core.errors import DomainError, NotAllowed, require
from orgs import grants
from orgs.models import Organisation, User
from orgs.permissions import can_administer


@transaction.atomic
def organisation_create(
    *, actor: User | None, code: str, name: str, kind: str, parent: Organisation | None = None, township: str = ""
) -> Organisation:
    """Create an organisation; a school becomes visible to its own staff and to every level above."""
    if actor is not None:
        require(can_administer(actor, parent))
    if Organisation.objects.filter(code=code).exists():
        raise DomainError(f"单位代码“{code}”已被使用。")
    if kind != Organisation.Kind.BUREAU and parent is None:
        raise DomainError("除教育局外,每个单位都必须有上级单位。")
    org = Organisation.objects.create(code=code, name=name, kind=kind, parent=parent, township=township)
    grants.ensure_org_group(org)
    if org.kind == Organisation.Kind.SCHOOL:
        grants.grant_school_visibility(org)
    audit_record(actor=actor, action="orgs.organisation.created", target=org, data={"code": code})
    return org


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    organisation: Organisation,
    full_name: str = "",
    position: str = "",
    bureau_role: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a person in an organisation, with the grants that membership brings.

    ``password_hash`` (from ``make_password``) lets bulk callers hash a shared password once.
    Only a system job or a superuser may create staff or superusers.
    """
    if actor is not None:
        require(can_administer(actor, organisation))
        if (is_staff or is_superuser) and not actor.is_superuser:
            raise NotAllowed("只有系统管理员可以创建管理后台账号。")
    if User.objects.filter(username=username).exists():
        raise DomainError(f"用户名“{username}”已被使用。")
    user = User(
        username=username,
        organisation=organisation,
        full_name=full_name,
        position=position,
        bureau_role=bureau_role,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.save()
    grants.sync_user_organisation(user)
    audit_record(
        actor=actor,
        action="orgs.user.created",
        target=user,
        data={"username": username, "organisation": organisation.code, "bureau_role": bureau_role},
    )
    return user
