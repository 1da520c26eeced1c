"""Permission predicates for notifications and live subscriptions."""

from __future__ import annotations

from typing import Any

from orgs.permissions import is_active_user


def can_watch_organisation(user: Any, org_id: int) -> bool:
    """Only one's own organisation: its group hears about every plan that organisation may see."""
    return is_active_user(user) and user.organisation_id is not None and user.organisation_id == org_id
