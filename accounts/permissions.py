"""Who must sign in with a second factor."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from orgs.models import Organisation

# Accounts that see more than one school: the city bureau, the county bureau, its supervision office,
# township centres.
OVERSEEING_KINDS = frozenset(
    {Organisation.Kind.CITY, Organisation.Kind.BUREAU, Organisation.Kind.SUPERVISION, Organisation.Kind.CENTRE}
)


def must_use_two_factor(user: Any) -> bool:
    """Two-factor sign-in is enforced (setting TWO_FACTOR_REQUIRED) and this account is one it covers:
    staff, superusers, and members of a bureau, supervision office or centre school. School members
    keep password sign-in."""
    if not getattr(settings, "TWO_FACTOR_REQUIRED", False) or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    organisation = user.organisation
    return organisation is not None and organisation.kind in OVERSEEING_KINDS
