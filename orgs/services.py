"""Writes for organisations and people. Each service checks permission, guards state and writes its
audit row in one transaction; grants follow the change (orgs.grants)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower

from audit.services import audit_entry, audit_record, audit_record_many
from core.errors import DomainError, NotAllowed, require
from orgs import grants, lockout
from orgs.models import Organisation, User
from orgs.passwords import initial_password
from orgs.permissions import (
    can_administer,
    can_manage_account,
    can_manage_accounts,
    can_manage_cities,
    forget_permissions,
)
from orgs.phones import normalize_phone


def _phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ValueError as exc:
        raise DomainError(str(exc)) from exc


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``obj``; return {field: [old, new]} for the fields that changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [old if not hasattr(old, "pk") else old.pk, new if not hasattr(new, "pk") else new.pk]
            setattr(obj, field, new)
    return changed


@transaction.atomic
def organisation_create(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    parent: Organisation | None = None,
    township: str = "",
    level: str = "",
    address: str = "",
) -> Organisation:
    """Create an organisation; a school becomes visible to its own staff and to every level above
    (its city's staff included). City and county bureaus are created by superusers only."""
    if actor is not None:
        require(can_administer(actor, parent))
        if kind in (Organisation.Kind.CITY, Organisation.Kind.BUREAU):
            require(can_manage_cities(actor), "只有系统管理员可以新增市、县教育局。")
    code = code.strip()
    if Organisation.objects.filter(code=code).exists():
        raise DomainError(f"单位代码“{code}”已被使用。")
    if kind not in (Organisation.Kind.BUREAU, Organisation.Kind.CITY) and parent is None:
        raise DomainError("除市、县教育局外，每个单位都必须有上级单位。")
    _check_parent(kind, parent)
    org = Organisation.objects.create(
        code=code, name=name, kind=kind, parent=parent, township=township, level=level, address=address
    )
    grants.ensure_org_group(org)
    if org.kind == Organisation.Kind.SCHOOL:
        grants.grant_school_visibility(org)
    audit_record(actor=actor, action="orgs.organisation.created", target=org, data={"code": code})
    return org


def _check_parent(kind: str, parent: Organisation | None) -> None:
    if parent is None:
        return
    if kind == Organisation.Kind.CITY:
        raise DomainError("市教育局没有上级单位。")
    if kind == Organisation.Kind.BUREAU and parent.kind != Organisation.Kind.CITY:
        raise DomainError("县教育局的上级只能是市教育局。")
    if kind == Organisation.Kind.SCHOOL and parent.kind not in (Organisation.Kind.BUREAU, Organisation.Kind.CENTRE):
        raise DomainError("学校的上级只能是教育局或中心学校。")
    if kind in (Organisation.Kind.CENTRE, Organisation.Kind.SUPERVISION) and parent.kind != Organisation.Kind.BUREAU:
        raise DomainError("中心学校和督导室的上级只能是教育局。")


KEEP_PARENT = object()  # organisation_update's default: the parent stays as it is


@transaction.atomic
def organisation_update(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    township: str = "",
    level: str = "",
    address: str = "",
    parent: Organisation | None | object = KEEP_PARENT,
) -> Organisation:
    """Edit a centre school or school (its county's admin), or a city or county bureau (superusers).
    ``parent`` left out keeps the current one; for a county bureau ``None`` detaches it from its
    city (a school or centre always has a parent: ``None`` keeps it).
    The code and kind stay (the code names its grant group).

    A school moved to another centre (or to the bureau directly) gets its viewer grants again, so
    the old centre stops seeing it and the new one sees it; a county attached to another city has
    its schools' city grants rewritten. Old and new values go to the audit row.
    """
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if org.kind in (Organisation.Kind.CITY, Organisation.Kind.BUREAU):
        require(can_manage_cities(actor), "只有系统管理员可以修改市、县教育局。")
    else:
        require(can_administer(actor, org))
    if parent is KEEP_PARENT or (parent is None and org.kind not in (Organisation.Kind.CITY, Organisation.Kind.BUREAU)):
        parent = org.parent
    assert parent is None or isinstance(parent, Organisation)
    if org.kind not in (Organisation.Kind.CITY, Organisation.Kind.BUREAU):
        require(can_administer(actor, parent), "只能把单位放在本县教育局或其中心学校之下。")
    _check_parent(org.kind, parent)
    if not name.strip():
        raise DomainError("单位名称不能为空。")
    changes = _changes(
        org,
        {
            "name": name.strip(),
            "township": township.strip(),
            "level": level,
            "address": address.strip(),
            "parent": parent,
        },
    )
    if not changes:
        return org
    org.save()
    if "parent" in changes and org.kind == Organisation.Kind.BUREAU:
        grants.resync_county_visibility(org)
    elif "parent" in changes:
        grants.resync_school_visibility(org)
    audit_record(actor=actor, action="orgs.organisation.updated", target=org, data={"changes": changes})
    return org


@dataclass(frozen=True)
class NewUser:
    """One account to create (``users_create_bulk``'s input; ``user_create`` takes the same fields)."""

    username: str
    organisation: Organisation
    full_name: str = ""
    position: str = ""
    phone: str = ""
    bureau_role: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    password_hash: str | None = None
    must_change_password: bool = False


def _checked_user(actor: User | None, new: NewUser, password: str | None, taken: set[str]) -> User:
    """The guards every new account passes, single or bulk; returns the unsaved user.
    ``taken``: lower-cased usernames already in use (the database's and the batch's so far)."""
    if actor is not None:
        require(can_manage_accounts(actor, new.organisation))
        if (new.is_staff or new.is_superuser) and not actor.is_superuser:
            raise NotAllowed("只有系统管理员可以创建管理后台账号。")
        if new.bureau_role and not can_administer(actor, new.organisation):
            raise NotAllowed("只有教育局管理员可以设置管理员角色。")
    username = new.username.strip()
    if not username:
        raise DomainError("用户名不能为空。")
    if username.lower() in taken:
        raise DomainError(f"用户名“{username}”已被使用。")
    taken.add(username.lower())
    user = User(
        username=username,
        organisation=new.organisation,
        full_name=new.full_name,
        position=new.position,
        phone=_phone(new.phone),
        bureau_role=new.bureau_role,
        is_staff=new.is_staff or new.is_superuser,
        is_superuser=new.is_superuser,
        must_change_password=new.must_change_password,
    )
    if new.password_hash is not None:
        user.password = new.password_hash
    else:
        user.set_password(password)
    return user


def _created_user(actor: User | None, user: User, **extra: Any) -> dict[str, Any]:
    """The audit row of a new account, the same for the single and the bulk path."""
    organisation = user.organisation
    assert organisation is not None  # every new account belongs somewhere (NewUser.organisation)
    data = {"username": user.username, "organisation": organisation.code, "bureau_role": user.bureau_role, **extra}
    return {"actor": actor, "action": "orgs.user.created", "target": user, "data": data}


def _taken(usernames: list[str]) -> set[str]:
    """The lower-cased usernames among these that are already in use (case-insensitively)."""
    wanted = sorted({name.strip().lower() for name in usernames})
    taken: set[str] = set()
    for start in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
        rows = User.objects.annotate(lowered=Lower("username")).filter(lowered__in=wanted[start : start + 500])
        taken.update(name.lower() for name in rows.values_list("username", flat=True))
    return taken


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    organisation: Organisation,
    full_name: str = "",
    position: str = "",
    phone: str = "",
    bureau_role: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password_hash: str | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a person in an organisation, with the grants that membership brings.

    ``password_hash`` (from ``make_password``) lets bulk callers hash a shared password once.
    Only a system job or a superuser may create staff or superusers.
    """
    new = NewUser(
        username,
        organisation,
        full_name,
        position,
        phone,
        bureau_role,
        is_staff,
        is_superuser,
        password_hash,
        must_change_password,
    )
    user = _checked_user(actor, new, password, _taken([username]))
    user.save()
    grants.sync_user_organisation(user)
    audit_record(**_created_user(actor, user))
    return user


@transaction.atomic
def users_create_bulk(*, actor: User | None, items: list[NewUser]) -> list[User]:
    """Create many accounts at once (the roster import) with every guard of ``user_create`` and one
    audit row per account, in a few statements whatever their number: ``user_create`` costs about a
    dozen queries per person (its savepoint, the group lookups, the chained audit row), which made
    2,000 people take minutes on a busy machine. Each item needs its ``password_hash``. All or
    nothing: one refused account refuses the batch."""
    if not items:
        return []
    if any(item.password_hash is None for item in items):
        raise DomainError("批量创建账号需要预先生成的密码摘要。")
    taken = _taken([item.username for item in items])
    users = User.objects.bulk_create([_checked_user(actor, item, None, taken) for item in items], batch_size=500)
    grants.add_new_users_to_organisation_groups(users)
    audit_record_many(audit_entry(**_created_user(actor, user, bulk=True)) for user in users)
    return users


def user_create_with_initial_password(
    *,
    actor: User,
    organisation: Organisation,
    username: str,
    full_name: str,
    phone: str = "",
    position: str = "",
    bureau_role: str = "",
) -> tuple[User, str]:
    """Create an account with a random initial password the person must change at first sign-in.
    Returns the user and the password, which is stored nowhere else: show it once."""
    password = initial_password()
    user = user_create(
        actor=actor,
        username=username,
        password=password,
        organisation=organisation,
        full_name=full_name,
        phone=phone,
        position=position,
        bureau_role=bureau_role,
        must_change_password=True,
    )
    return user, password


def _locked_account(actor: User, person: User) -> User:
    locked = User.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=person.pk)
    require(can_manage_account(actor, locked))
    return locked


@transaction.atomic
def user_update(
    *, actor: User, person: User, full_name: str, phone: str = "", position: str = "", bureau_role: str | None = None
) -> User:
    """Edit an account's name, phone, position (and, for the bureau admin, its admin role). The
    username and organisation stay; old and new values go to the audit row."""
    user = _locked_account(actor, person)
    values: dict[str, Any] = {"full_name": full_name.strip(), "phone": _phone(phone), "position": position.strip()}
    if bureau_role is not None and bureau_role != user.bureau_role:
        require(can_administer(actor, user.organisation), "只有教育局管理员可以设置管理员角色。")
        if user.pk == actor.pk:
            raise DomainError("不能修改自己的管理员角色。")
        values["bureau_role"] = bureau_role
    changes = _changes(user, values)
    if not changes:
        return user
    user.save()
    forget_permissions(user)
    audit_record(actor=actor, action="orgs.user.updated", target=user, data={"changes": changes})
    return user


@transaction.atomic
def user_set_active(*, actor: User, person: User, active: bool, reason: str = "") -> User:
    """Disable (or enable again) an account. A disabled person cannot sign in; their history stays.
    Nobody disables their own account (a county would lose its last admin that way)."""
    user = _locked_account(actor, person)
    if user.pk == actor.pk:
        raise DomainError("不能停用自己的账号。")
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="orgs.user.enabled" if active else "orgs.user.disabled",
        target=user,
        old="启用" if not active else "停用",
        new="启用" if active else "停用",
        reason=reason,
    )
    return user


@transaction.atomic
def user_reset_password(*, actor: User, person: User) -> str:
    """Give the account a new random password that must be changed at the next sign-in. Returns
    the password (shown once to the admin, never stored in clear or audited)."""
    user = _locked_account(actor, person)
    if user.pk == actor.pk:
        raise DomainError("请在“修改密码”页面修改自己的密码。")
    password = initial_password()
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit_record(actor=actor, action="orgs.user.password_reset", target=user)
    return password


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    """The person changes their own password (the validators of AUTH_PASSWORD_VALIDATORS apply);
    this also clears ``must_change_password``."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    require(locked.is_active)
    if not locked.check_password(old_password):
        raise DomainError("原密码不正确。")
    if old_password == new_password:
        raise DomainError("新密码不能与原密码相同。")
    try:
        validate_password(new_password, locked)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages)) from exc
    locked.set_password(new_password)
    locked.must_change_password = False
    locked.save(update_fields=["password", "must_change_password"])
    audit_record(actor=locked, action="orgs.user.password_changed", target=locked)
    return locked


@transaction.atomic
def profile_update(*, user: User, full_name: str, phone: str = "", email: str = "") -> User:
    """The person edits their own name, phone and e-mail (position and role are the admin's)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    require(locked.is_active)
    if not full_name.strip():
        raise DomainError("姓名不能为空。")
    changes = _changes(locked, {"full_name": full_name.strip(), "phone": _phone(phone), "email": email.strip()})
    if changes:
        locked.save()
        audit_record(actor=locked, action="orgs.user.profile_updated", target=locked, data={"changes": changes})
    return locked


@transaction.atomic
def user_unlock(*, actor: User, person: User) -> int:
    """Lift a sign-in lockout of this account (its failed attempts from every address are
    forgotten). The account's admin only; returns how many attempt rows were cleared."""
    user = _locked_account(actor, person)
    cleared = lockout.clear(user.username)
    if cleared:
        audit_record(actor=actor, action="orgs.user.unlocked", target=user, data={"attempts": cleared})
    return cleared
