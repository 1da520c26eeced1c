"""Evidence on an S3-compatible object store (moto's server on loopback): uploads land in the
bucket, downloads stream back through the permission-checked views, the archive zip and the audit
check read the objects, and an unreachable store refuses the upload and writes nothing."""

from __future__ import annotations

import hashlib
import io
import urllib.request
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from notifications.models import Notification
from plans.models import IndicatorReading
from tasks.models import Evidence, Task
from tests.archives.test_views import filed
from tests.factories import PASSWORD
from tests.storage.conftest import closed_port, use_storage_url
from tests.workflow_helpers import PDF, pdf

pytestmark = pytest.mark.django_db

UNAVAILABLE = "文件存储暂时不可用，请稍后重试；本次提交未保存。"


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def upload(client, task, name="会议纪要.pdf", body=None):
    body = body or PDF + b" minutes of the meeting"
    file = pdf(name)
    file.file = io.BytesIO(body)
    file.size = len(body)
    return client.post(reverse("tasks:evidence_upload", args=[task.pk]), {"file": file}, follow=True)


def test_task_evidence_goes_to_the_bucket_and_comes_back_through_the_view(county, client, s3):
    a = county.a
    body = PDF + "会议纪要".encode() * 1000
    login(client, a.member)
    response = upload(client, a.tasks[0], body=body)
    assert "已上传“会议纪要.pdf”" in response.text
    evidence = Evidence.objects.get(task=a.tasks[0])
    assert s3.keys() == [evidence.file.name] and s3.body(evidence.file.name) == body
    assert evidence.sha256 == hashlib.sha256(body).hexdigest()

    download = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert download["Content-Length"] == str(len(body))  # streamed, yet its length is known
    assert b"".join(download.streaming_content) == body

    client.logout()
    login(client, county.b.leader)  # another school: the file does not exist for them
    assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404


def test_the_object_keeps_the_checked_type_not_the_one_the_browser_declared(county, client, s3):
    # A presigned download is served by the store with the object's own type: it must be the one
    # the upload check found, or a text file sent as text/html would be stored as a web page.
    login(client, county.a.member)
    body = "会议纪要：<script>alert(1)</script>".encode()
    file = SimpleUploadedFile("纪要.txt", body, content_type="text/html")
    client.post(reverse("tasks:evidence_upload", args=[county.a.tasks[0].pk]), {"file": file}, follow=True)
    evidence = Evidence.objects.get(task=county.a.tasks[0])
    stored = s3.client.head_object(Bucket=s3.bucket, Key=evidence.file.name)["ContentType"]
    assert stored.startswith("text/plain")


def test_a_presigned_download_redirects_only_after_the_permission_check(county, client, s3):
    a = county.a
    login(client, a.member)
    upload(client, a.tasks[0], name="照片说明.pdf")
    evidence = Evidence.objects.get(task=a.tasks[0])
    with use_storage_url(s3.url + "&presign=60"):
        response = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
        assert response.status_code == 302 and response["Location"].startswith(f"http://{s3.endpoint}/")
        assert "X-Amz-Expires=60" in response["Location"]
        with urllib.request.urlopen(response["Location"], timeout=10) as signed:  # loopback only
            assert signed.read() == s3.body(evidence.file.name)
            assert "filename*=UTF-8''%E7%85%A7" in signed.headers["Content-Disposition"]
        client.logout()
        login(client, county.b.leader)
        assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404


def test_a_presigned_download_names_the_public_address_of_the_store(county, client, s3):
    # The application reaches the store at 127.0.0.1; browsers at another name (here localhost,
    # the same server): the signed URL must name that host and be signed for it.
    a = county.a
    login(client, a.member)
    upload(client, a.tasks[0], name="照片说明.pdf")
    evidence = Evidence.objects.get(task=a.tasks[0])
    public = "http://" + s3.endpoint.replace("127.0.0.1", "localhost")
    with use_storage_url(s3.url + f"&presign=60&public={public}"):
        response = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
        assert response.status_code == 302 and response["Location"].startswith(public + "/")
        with urllib.request.urlopen(response["Location"], timeout=10) as signed:  # loopback only
            assert signed.read() == s3.body(evidence.file.name)


def test_a_missing_object_answers_404(county, client, s3):
    a = county.a
    login(client, a.member)
    upload(client, a.tasks[0])
    evidence = Evidence.objects.get(task=a.tasks[0])
    s3.client.delete_object(Bucket=s3.bucket, Key=evidence.file.name)
    assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404


def test_the_archive_zip_is_built_from_the_objects(county, client, s3):
    scheme, files = filed(county)
    assert sorted(s3.keys()) == sorted(f.file.name for f in files)
    login(client, county.a.office)
    response = client.get(reverse("archives:zip", args=[county.a.plan.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.testzip() is None
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 3 and all(archive.read(n).startswith(b"%PDF") for n in pdfs)
    assert not any(n.endswith("缺失文件.txt") for n in archive.namelist())


def run(command, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue() + err.getvalue()


def test_verify_audit_files_and_verify_evidence_read_the_bucket(county, client, s3):
    a = county.a
    login(client, a.member)
    upload(client, a.tasks[0])
    evidence = Evidence.objects.get(task=a.tasks[0])
    assert run("verify_audit", "--files")[0] == 0
    assert run("verify_evidence")[0] == 0

    s3.client.put_object(Bucket=s3.bucket, Key=evidence.file.name, Body=PDF + b" altered")
    code, out = run("verify_audit", "--files")
    assert code == 2 and f"{evidence.file.name} (entry #" in out and "was changed" in out
    code, out = run("verify_evidence")
    assert code == 1 and f"CHANGED: tasks.Evidence #{evidence.pk} {evidence.file.name}" in out

    s3.client.delete_object(Bucket=s3.bucket, Key=evidence.file.name)
    code, out = run("verify_evidence", "--no-hash")
    assert code == 1 and f"MISSING: tasks.Evidence #{evidence.pk}" in out


def _nothing_written(before):
    assert (AuditEntry.objects.count(), Notification.objects.count()) == before
    assert not Evidence.objects.exists()
    assert not IndicatorReading.all_objects.exists()


def test_an_unreachable_store_refuses_every_upload_and_writes_nothing(county, client):
    a = county.a
    task = Task.objects.get(pk=a.tasks[0].pk)
    before = (AuditEntry.objects.count(), Notification.objects.count())
    with use_storage_url(f"s3://planhub:secret@127.0.0.1:{closed_port()}/evidence?secure=0"):
        login(client, a.member)
        response = upload(client, task)
        assert UNAVAILABLE in response.text
        # Submitting for review with files: the files are refused before the transition's lock.
        response = client.post(
            reverse("tasks:task_act", args=[task.pk, "submit"]),
            {"version": task.version, "note": "见附件", "files": [pdf("方案.pdf")]},
            follow=True,
        )
        assert UNAVAILABLE in response.text
        assert Task.objects.get(pk=task.pk).status == task.status
        client.logout()
        login(client, a.leader)
        response = client.post(
            reverse("dashboards:indicator", args=[a.indicator.pk]),
            {
                "value": "26",
                "measured_on": timezone.localdate().isoformat(),
                "note": "",
                "evidence": pdf("图书台账.pdf"),
            },
            follow=True,
        )
        assert UNAVAILABLE in response.text
    _nothing_written(before)


def test_a_store_stopped_mid_run_refuses_the_next_upload_and_keeps_the_earlier_one(county, client, settings):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        import boto3

        boto3.client(
            "s3",
            endpoint_url=f"http://{host}:{port}",
            aws_access_key_id="k",
            aws_secret_access_key="s",
            region_name="us-east-1",
        ).create_bucket(Bucket="evidence-stopped")
        with use_storage_url(f"s3://k:s@{host}:{port}/evidence-stopped?secure=0"):
            login(client, county.a.member)
            assert "已上传" in upload(client, county.a.tasks[0]).text
            kept = Evidence.objects.get()
            before = (AuditEntry.objects.count(), Notification.objects.count(), Evidence.objects.count())
            server.stop()
            assert UNAVAILABLE in upload(client, county.a.tasks[0], name="第二份.pdf").text
            assert (AuditEntry.objects.count(), Notification.objects.count(), Evidence.objects.count()) == before
            assert Evidence.objects.get() == kept
            # The evidence already accepted cannot be fetched now: a clear 503, not a crash.
            response = client.get(reverse("tasks:evidence_download", args=[kept.pk]))
            assert response.status_code == 503 and "文件存储暂时不可用" in response.content.decode()
    finally:
        server.stop()
