"""A history line names what it is about, whatever app wrote it (never a bare database id)."""

from __future__ import annotations

from decimal import Decimal

from acceptance.services import criterion_create
from audit.models import AuditEntry
from history.sentences import describe


def test_acceptance_entries_name_their_criterion(county):
    criterion = criterion_create(
        actor=county.a.office, plan=county.a.plan, category="办学条件", point="生均图书达到25册", max_score=Decimal("5")
    )
    entry = AuditEntry.objects.get(action="acceptance.criterion.created", target_id=criterion.pk)
    (line,) = describe([entry])
    assert "生均图书达到25册" in line.sentence and f"#{criterion.pk}" not in line.sentence
