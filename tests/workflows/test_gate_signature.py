"""Signing a gate: asked to confirm, with an optional opinion (签署意见) kept on the stage and in the
history; the page counts waived tasks apart from done ones; a too-long opinion is refused, not cut."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.errors import DomainError
from history.sentences import describe
from plans.models import Stage
from tasks import services
from tests.factories import PASSWORD
from tests.workflow_helpers import pdf
from workflows.rules import OPINION_MAX
from workflows.services import stage_complete

pytestmark = pytest.mark.django_db


def finish_stage_one(a):
    for task, who in ((a.tasks[0], a.member), (a.tasks[1], a.member2)):
        services.task_submit(task=task, actor=who, files=[pdf()])
        services.task_close(task=task, actor=a.office)
    services.task_waive(task=a.tasks[2], actor=a.leader, reason="已由上级统一印发")


def test_opinion_is_kept_on_the_stage_in_the_audit_row_and_the_history_sentence(county):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    stage_complete(stage=stage, actor=a.leader, opinion="  准备工作扎实，同意进入实施阶段。 ")
    stage.refresh_from_db()
    assert stage.completion_opinion == "准备工作扎实，同意进入实施阶段。"
    entry = AuditEntry.objects.select_related("actor").get(action="plans.stage.completed", target_id=stage.pk)
    assert entry.data == {"opinion": "准备工作扎实，同意进入实施阶段。"}
    assert entry.reason == "准备工作扎实，同意进入实施阶段。"
    sentence = describe([entry])[0].sentence
    assert "签署意见" in sentence and "准备工作扎实" in sentence


def test_a_too_long_opinion_is_refused_and_nothing_changes(county, client):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    with pytest.raises(DomainError, match="签署意见最多"):
        stage_complete(stage=stage, actor=a.leader, opinion="很" * (OPINION_MAX + 1))
    assert Stage.objects.get(pk=stage.pk).status == Stage.Status.OPEN
    assert client.login(username=a.leader.username, password=PASSWORD)
    typed = "同" * (OPINION_MAX + 5)
    response = client.post(reverse("workflows:stage_sign", args=[stage.pk]), {"opinion": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert "签署意见最多" in body and typed in body  # what was typed is shown again
    assert Stage.objects.get(pk=stage.pk).status == Stage.Status.OPEN
    assert not AuditEntry.objects.filter(action="plans.stage.completed").exists()


def test_signing_through_the_page_keeps_the_opinion_and_shows_it(county, client):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    assert client.login(username=a.leader.username, password=PASSWORD)
    client.post(reverse("workflows:stage_sign", args=[stage.pk]), {"opinion": "同意。"})
    stage.refresh_from_db()
    assert stage.status == Stage.Status.COMPLETED and stage.completion_opinion == "同意。"
    body = client.get(reverse("workflows:stage_gate", args=[stage.pk])).content.decode()
    assert 'id="gate-opinion"' in body and "同意。" in body


def test_gate_page_asks_for_confirmation_and_counts_waived_apart_from_done(county, client):
    a = county.a
    finish_stage_one(a)
    stage = a.plan.stages.get(order=1)
    assert client.login(username=a.leader.username, password=PASSWORD)
    response = client.get(reverse("workflows:stage_gate", args=[stage.pk]))
    gate = response.context["gate"]
    assert (gate.total, gate.done, gate.waived, len(gate.open_tasks)) == (3, 2, 1, 0)
    body = response.content.decode()
    assert 'id="sign-form"' in body and "data-confirm=" in body
    assert 'id="gate-waived"' in body and "其中 1 项任务为组长豁免" in body
