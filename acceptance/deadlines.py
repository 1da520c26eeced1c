"""acceptance's deadline sources for the deadline engine (tasks.deadlines.scan_deadlines, run by
`scan_deadlines --loop` under `serve`), declared in acceptance.apps: rectification items chased as
tasks are, and reminders before an inspection date. Each is idempotent on its own."""

from __future__ import annotations

import datetime
from collections import Counter

from acceptance.services.inspection import inspection_reminders_send
from acceptance.services.rectification import rectification_reminders_send


def rectification_deadlines(*, today: datetime.date) -> Counter[str]:
    return rectification_reminders_send(today=today)


def inspection_deadlines(*, today: datetime.date) -> dict[str, int]:
    sent = inspection_reminders_send(today=today)
    return {"inspection.reminder": sent} if sent else {}
