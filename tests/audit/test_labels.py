"""Every audit action the code writes has a human label, declared by the app its name starts with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps

from audit.labels import action_label, action_labels
from audit.models import AuditEntry
from audit.services import audit_entry, audit_record, audit_record_many

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ["core", "audit", "orgs", "plans", "notifications", "tasks", "workflows", "acceptance", "dashboards", "excel"]
ACTION = re.compile(r"""["'](?P<action>(?:orgs|plans|tasks|acceptance|workflows)\.[a-z_]+\.[a-z_]+)["']""")
# task_assign writes f"tasks.task.{action}ed" for both of its transitions.
DYNAMIC = {"tasks.task.assigned", "tasks.task.reassigned"}


def written_actions() -> set[str]:
    found = set(DYNAMIC)
    for app in APP_DIRS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path.name == "apps.py":
                continue
            text = path.read_text(encoding="utf-8")
            found |= {match["action"] for match in ACTION.finditer(text)}
    return found


def test_the_scan_finds_the_actions_it_should():
    # Guards the scanner itself: a regex that matched nothing would make the next test pass vacuously.
    assert {"tasks.task.closed", "plans.plan.created", "orgs.user.created", "acceptance.criterion.created"} <= written_actions()


@pytest.mark.parametrize("action", sorted(written_actions()))
def test_every_written_action_has_a_label_from_its_own_app(action):
    assert action_label(action) != action, f"{action} has no label"
    owner = apps.get_app_config(action.split(".")[0])
    assert action in getattr(owner, "audit_actions", {}), f"{action} must be declared by {owner.label}"


def test_labels_are_unique_per_action_and_unknown_actions_read_as_themselves():
    assert len(action_labels()) == len(set(action_labels()))
    assert action_label("nobody.nothing.done") == "nobody.nothing.done"


@pytest.mark.django_db
def test_the_bulk_writer_writes_the_same_row_as_the_single_one(county):
    plan = county.a.plan
    fields = dict(actor=county.a.leader, action="plans.plan.created", target=plan, plan=plan, new="active", data={"x": 1})
    single = audit_record(**fields)
    (bulk,) = audit_record_many([audit_entry(**fields)])
    columns = ["actor_id", "action", "plan_id", "target_type", "target_id", "from_state", "to_state", "reason", "data"]
    one, many = (AuditEntry.objects.filter(pk=e.pk).values(*columns).get() for e in (single, bulk))
    assert one == many and one["plan_id"] == plan.pk and one["target_type"] == "plans.plan"
