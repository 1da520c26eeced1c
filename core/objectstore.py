"""The S3-compatible object store for evidence files (``STORAGE_URL=s3://...``, see core.storage).

django-storages' S3Storage with the defaults evidence needs:

- never overwrite: two uploads that ask for one name get two objects (``file_overwrite=False``);
- a bounded wait: an unreachable store fails an upload within seconds (connect timeout 5 s, two
  attempts), so the uploader reads a message instead of a spinning page, and nothing is written;
- streamed reads: ``open(name, "rb")`` is one GET whose body is read as it arrives (a download's
  first bytes leave before the last arrive; no temporary file, no transfer threads, memory of one
  chunk); other modes keep django-storages' buffered file (spilling to disk past 4 MB);
- objects private (no ACL header: the bucket's policy applies); the application is the only reader,
  or hands out a signed URL valid ``presign_seconds`` after its own permission check.
"""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]
from django.core.files.base import File
from storages.backends.s3 import S3Storage  # type: ignore[import-untyped]
from storages.utils import clean_name  # type: ignore[import-untyped]

from core.storage import attachment_disposition, is_missing


class StreamedObject(File):  # type: ignore[type-arg]
    """An object's body as a read-only, forward-only file of known size."""

    def __init__(self, body: Any, name: str, size: int) -> None:
        super().__init__(body, name)
        self.size = size  # File.size would seek to the end: the GET already said

    def seekable(self) -> bool:
        return False


class EvidenceObjectStorage(S3Storage):  # type: ignore[misc]
    def get_default_settings(self) -> dict[str, Any]:
        defaults: dict[str, Any] = super().get_default_settings()
        defaults.update(
            file_overwrite=False,
            max_memory_size=4 * 1024 * 1024,
            presign_seconds=0,
            public_endpoint=None,
            connect_timeout=5,
            read_timeout=60,
            max_attempts=2,
            region_name=defaults["region_name"] or "us-east-1",
        )
        return defaults

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        if settings.get("client_config") is None:
            self.client_config = Config(
                s3={"addressing_style": self.addressing_style or "path"},
                signature_version=self.signature_version or "s3v4",
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                retries={"max_attempts": self.max_attempts, "mode": "standard"},
            )

    def _open(self, name: str, mode: str = "rb") -> File:  # type: ignore[type-arg]
        if mode != "rb":
            return super()._open(name, mode)  # type: ignore[no-any-return]
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                raise FileNotFoundError(f"File does not exist: {name}") from exc
            raise
        return StreamedObject(response["Body"], name, response["ContentLength"])

    def signed_download_url(self, name: str, filename: str, content_type: str | None, seconds: int) -> str:
        """A URL that downloads ``name`` as ``filename`` for ``seconds``; only after a permission check."""
        parameters = {"ResponseContentDisposition": attachment_disposition(filename)}
        if content_type:
            parameters["ResponseContentType"] = content_type
        if not self.public_endpoint:
            url: str = self.url(name, parameters=parameters, expire=seconds)
            return url
        # Signed for the address browsers use (the signature covers the host), offline: no request.
        params = {"Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name)), **parameters}
        public: str = self._public_client().generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
        return public

    def _public_client(self) -> Any:
        if getattr(self, "_public", None) is None:
            session = boto3.session.Session(
                aws_access_key_id=self.access_key or None,
                aws_secret_access_key=self.secret_key or None,
                aws_session_token=self.security_token or None,
                region_name=self.region_name,
            )
            self._public = session.client(
                "s3", endpoint_url=self.public_endpoint, config=self.client_config, verify=self.verify
            )
        return self._public
