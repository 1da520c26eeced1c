"""A refused task action shows the page again with what was typed, and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEntry
from tasks.models import Evidence, Task
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_submission_refused_for_its_file_keeps_the_note(client, county):
    a = county.a
    task = a.tasks[0]
    assert client.login(username=a.member.username, password=PASSWORD)
    note = "文件已印发，盖章页在第二页。"
    response = client.post(
        reverse("tasks:task_act", args=[task.pk, "submit"]),
        {"note": note, "version": task.version, "files": [SimpleUploadedFile("empty.pdf", b"")]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "空文件" in body  # the reason, on the page
    assert f">{note}</textarea>" in body  # the note, where it was typed
    task = Task.objects.get(pk=task.pk)
    assert task.status != Task.Status.SUBMITTED
    assert not Evidence.objects.filter(task=task).exists()
    assert not AuditEntry.objects.filter(action="tasks.task.submitted").exists()


def test_waiver_refused_keeps_the_reason_and_opens_its_box(client, county):
    a = county.a
    task = a.tasks[0]
    assert client.login(username=a.leader.username, password=PASSWORD)
    reason = "上级已统一" * 500  # longer than the form allows
    response = client.post(reverse("tasks:task_act", args=[task.pk, "waive"]), {"reason": reason, "version": task.version})
    assert response.status_code == 400
    body = response.content.decode()
    assert reason in body and '<details class="action-details" open>' in body
    assert not Task.objects.get(pk=task.pk).waived
