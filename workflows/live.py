"""Versions of the gate page and of 我的待办 for open pages (notifications.live).

Neither has a version column, so each is a fingerprint of what the page shows: a gate's stage
status with its tasks' count and versions (every task transition bumps its task's version), the
inbox's entries with their tasks' versions. The page renders the same fingerprint and compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Sum

from plans.models import Stage
from plans.selectors import visible_plans
from tasks.models import Task
from tasks.selectors import tasks_to_do, tasks_to_review
from workflows.inbox import InboxSection, contributed_sections
from workflows.selectors import gates_awaiting


def stage_versions(user: Any, ids: list[int]) -> dict[int, dict[str, str]]:
    """``{stage id: {"version", "label"}}`` for the stages among ``ids`` the user may see; two queries."""
    stages = {s.pk: s for s in Stage.objects.filter(pk__in=ids, plan__in=visible_plans(user)).only("pk", "status")}
    tallies = {
        row["measure__stage_id"]: (row["n"], row["v"] or 0)
        for row in Task.objects.filter(measure__stage_id__in=list(stages))
        .values("measure__stage_id")
        .annotate(n=Count("id"), v=Sum("version"))
    }
    return {
        pk: {"version": _stage_version(stage.status, *tallies.get(pk, (0, 0))), "label": stage.get_status_display()}
        for pk, stage in stages.items()
    }


def stage_version(user: Any, stage: Stage) -> str:
    """The version the gate page renders for ``stage`` (which the caller has checked the user may see)."""
    return stage_versions(user, [stage.pk]).get(stage.pk, {}).get("version", "")


def _stage_version(status: str, count: int, versions: int) -> str:
    return f"{status}-{count}-{versions}"


def inbox_fingerprint(
    *, to_do: Iterable[Task], to_review: Iterable[Task], gates: Iterable[Stage], sections: Iterable[InboxSection]
) -> str:
    """A short digest of everything 我的待办 lists (order-free: the page sorts, the digest does not care)."""
    parts = [f"do {t.pk}.{t.version}" for t in to_do]
    parts += [f"review {t.pk}.{t.version}" for t in to_review]
    parts += [f"gate {s.pk}" for s in gates]
    parts += [f"{sec.key} {e.url} {e.badge} {e.due_on} {e.title}" for sec in sections for e in sec.entries]
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()[:16]


def inbox_versions(user: Any, ids: list[int]) -> dict[int, dict[str, str]]:
    """Only the user's own inbox (id 0, "mine"): nobody can ask about another user's."""
    if 0 not in ids:
        return {}
    digest = inbox_fingerprint(
        to_do=tasks_to_do(user),
        to_review=tasks_to_review(user),
        gates=gates_awaiting(user),
        sections=contributed_sections(user),
    )
    return {0: {"version": digest, "label": ""}}
