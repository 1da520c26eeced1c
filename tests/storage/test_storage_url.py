"""STORAGE_URL → STORAGES["default"] (core.storage.storages_setting): the forms the README documents,
and a clear refusal of the ones it does not."""

from __future__ import annotations

import pytest

from core.storage import describe, storages_setting


def test_unset_or_file_means_the_local_folder():
    for url in ("", "  ", "file:"):
        assert storages_setting(url) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storages_setting("file:///srv/planhub/media")["OPTIONS"] == {"location": "/srv/planhub/media"}


def test_an_s3_url_names_endpoint_bucket_credentials_and_options():
    setting = storages_setting(
        "s3://AK%2B1:se%2Fcret@10.0.0.5:9000/evidence?region=cn-north-1&secure=0&prefix=city/&presign=120"
    )
    assert setting["BACKEND"] == "core.objectstore.EvidenceObjectStorage"
    assert setting["OPTIONS"] == {
        "bucket_name": "evidence",
        "location": "city",
        "addressing_style": "path",
        "presign_seconds": 120,
        "use_ssl": False,
        "region_name": "cn-north-1",
        "endpoint_url": "http://10.0.0.5:9000",
        "access_key": "AK+1",
        "secret_key": "se/cret",
    }
    # No host: the cloud's default endpoint; no credentials: AWS_* variables or the instance's role.
    bare = storages_setting("s3:///evidence")["OPTIONS"]
    assert "endpoint_url" not in bare and "access_key" not in bare and bare["use_ssl"] is True


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://host/bucket", "must start with file: or s3:"),
        ("file:relative/folder", "absolute folder"),
        ("s3://k:s@host:9000/", "one bucket"),
        ("s3://k:s@host:9000/a/b", "one bucket"),
        ("s3://k:s@host:9000/b?regoin=x", "unknown options: regoin"),
        ("s3://k:s@host:9000/b?presign=soon", "whole number"),
        ("s3://k:s@host:9000/b?presign=60&public=files.example.gov.cn", "public must be a store address"),
    ],
)
def test_a_wrong_url_is_refused_with_the_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        storages_setting(url)


def test_logs_never_show_the_secret():
    assert describe("s3://AK:topsecret@host:9000/b") == "s3://AK:***@host:9000/b"
