"""An S3-compatible object store on loopback (moto's server mode) for the evidence-storage tests.

Nothing outside this machine is contacted: the server listens on 127.0.0.1 on a free port, and
each test gets a bucket of its own, made the default storage with the settings' own parser
(core.storage.storages_setting), exactly as STORAGE_URL would in production.
"""

from __future__ import annotations

import itertools
import socket
from types import SimpleNamespace

import boto3
import pytest
from django.test import override_settings

from core.storage import storages_setting

_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"{host}:{port}"
    server.stop()


def closed_port() -> int:
    """A loopback port nobody listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def use_storage_url(url: str):
    """``override_settings`` that makes ``url`` the default (evidence) storage."""
    return override_settings(
        STORAGES={
            "default": storages_setting(url),
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )


@pytest.fixture
def s3(moto_endpoint):
    """A fresh bucket on the loopback store, the default storage for the test's duration."""
    bucket = f"evidence-{next(_buckets)}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{moto_endpoint}",
        aws_access_key_id="planhub",
        aws_secret_access_key="secret",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    url = f"s3://planhub:secret@{moto_endpoint}/{bucket}?secure=0&region=us-east-1"

    def keys() -> list[str]:
        return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def body(key: str) -> bytes:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()

    with use_storage_url(url):
        yield SimpleNamespace(client=client, bucket=bucket, url=url, keys=keys, body=body, endpoint=moto_endpoint)
