"""A submission whose after-commit push is cancelled (the browser left: Django's ASGI handler
cancels the request, and ``async_to_sync`` raises ``asyncio.CancelledError``, a BaseException)
keeps its evidence files: the rows committed, so the files must stay (found by `bench http`)."""

from __future__ import annotations

import asyncio

import pytest

from notifications import push
from tasks import services
from tasks.models import Evidence, Task
from tests.workflow_helpers import fresh, pdf


@pytest.mark.django_db(transaction=True)
def test_a_push_cancelled_after_commit_keeps_the_committed_evidence(county, monkeypatch):
    a = county.a
    task = a.tasks[0]
    services.task_start(task=task, actor=a.member)

    def cancelled(*args, **kwargs):
        raise asyncio.CancelledError

    monkeypatch.setattr(push, "push_notifications", cancelled)
    with pytest.raises(asyncio.CancelledError):
        services.task_submit(task=task, actor=a.member, note="附件", files=[pdf()])
    assert fresh(task).status == Task.Status.SUBMITTED
    evidence = Evidence.objects.get(task=task)
    assert evidence.file.storage.exists(evidence.file.name), "a committed evidence row lost its file"
