"""Where evidence files live, and how the application reaches them.

Every evidence file (task evidence, indicator readings' evidence, rectification evidence) is
written and read through Django's storage API only, so one setting moves all of them:
``STORAGE_URL`` (``storages_setting`` turns it into ``STORAGES["default"]``):

- unset, empty or ``file:`` — a folder on this machine (``MEDIA_ROOT``); ``file:///srv/media``
  names another folder. One application machine only (or a folder every machine mounts).
- ``s3://ACCESS:SECRET@host:port/bucket?region=...&secure=0`` — an S3-compatible object store
  (MinIO, Ceph RGW, a cloud's OSS/COS/OBS with its S3 endpoint) through django-storages; what
  every application machine of a city deployment shares. Without ``host:port``
  (``s3://ACCESS:SECRET@/bucket``) the cloud's default endpoint is used; without credentials the
  usual AWS_* variables or instance roles apply. Query options: ``region``, ``secure`` (0 for plain
  HTTP inside a private network), ``prefix`` (a folder inside the bucket), ``presign`` (seconds:
  downloads, after the permission check, redirect to a signed URL valid that long instead of
  streaming through the application), ``public`` (with ``presign``: the store's address as
  browsers reach it, e.g. ``https://files.example.gov.cn``, when the application reaches it at a
  private one; signed URLs name and are signed for that host), ``addressing`` (``path``, the
  default, or ``virtual``).
  Access key and secret are URL-encoded when they hold ``/``, ``+`` or ``@``.

This module is imported by the settings: it imports nothing from Django at module level.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

if TYPE_CHECKING:
    from django.core.files.storage import Storage
    from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

UNAVAILABLE = "文件存储暂时不可用，请稍后重试；本次提交未保存。"
UNAVAILABLE_DOWNLOAD = "文件存储暂时不可用，请稍后重试。"
OBJECT_STORAGE_BACKEND = "core.objectstore.EvidenceObjectStorage"
FILE_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"


def storages_setting(url: str) -> dict[str, Any]:
    """``STORAGES["default"]`` for a ``STORAGE_URL`` (see the module docstring). Raises ValueError
    with the reason when the URL cannot be used, so that a wrong setting stops the start."""
    url = (url or "").strip()
    if not url or url == "file:":
        return {"BACKEND": FILE_STORAGE_BACKEND}  # MEDIA_ROOT, read when the storage is used
    parts = urlsplit(url)
    if parts.scheme == "file":
        if not parts.path.startswith("/"):
            raise ValueError("STORAGE_URL file: needs an absolute folder, e.g. file:///srv/planhub/media")
        return {"BACKEND": FILE_STORAGE_BACKEND, "OPTIONS": {"location": unquote(parts.path)}}
    if parts.scheme != "s3":
        raise ValueError(f"STORAGE_URL must start with file: or s3:, not {parts.scheme or url!r}")
    return {"BACKEND": OBJECT_STORAGE_BACKEND, "OPTIONS": _s3_options(parts)}


def _s3_options(parts: Any) -> dict[str, Any]:
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"region", "secure", "prefix", "presign", "addressing", "public"}
    if unknown:
        raise ValueError(f"STORAGE_URL has unknown options: {', '.join(sorted(unknown))}")
    bucket = unquote(parts.path.strip("/"))
    if not bucket or "/" in bucket:
        raise ValueError("STORAGE_URL must name one bucket: s3://ACCESS:SECRET@host:port/bucket")
    secure = query.get("secure", "1").strip().lower() not in {"0", "false", "no", "off"}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": query.get("prefix", "").strip("/"),
        "addressing_style": query.get("addressing", "path"),
        "presign_seconds": _int(query.get("presign", "0"), "presign"),
        "use_ssl": secure,
    }
    if query.get("region"):
        options["region_name"] = query["region"]
    if query.get("public"):
        public = urlsplit(query["public"])
        if public.scheme not in {"http", "https"} or not public.hostname or public.path.strip("/"):
            raise ValueError("STORAGE_URL option public must be a store address such as https://files.example.gov.cn")
        options["public_endpoint"] = f"{public.scheme}://{public.netloc}"
        if not options["presign_seconds"]:
            raise ValueError("STORAGE_URL option public needs presign (signed downloads), e.g. presign=60")
    host = parts.hostname
    if host:
        port = f":{parts.port}" if parts.port else ""
        host = f"[{host}]" if ":" in host else host
        options["endpoint_url"] = f"{'https' if secure else 'http'}://{host}{port}"
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    return options


def _int(value: str, name: str) -> int:
    try:
        number = int(value or 0)
    except ValueError:
        raise ValueError(f"STORAGE_URL option {name} must be a whole number of seconds") from None
    if number < 0:
        raise ValueError(f"STORAGE_URL option {name} must not be negative")
    return number


def describe(url: str) -> str:
    """The URL without its secret, for logs and command output."""
    parts = urlsplit((url or "").strip())
    if parts.password is None:
        return url or "file:"
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def storage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the store could not be reached or refused the request": a local
    folder's OSError, botocore's connection and client errors when the object store is in use."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - boto3 is pinned; a local-folder deployment may drop it
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


def is_missing(exc: BaseException) -> bool:
    """True when a storage error says "no such file" rather than "cannot reach the store"."""
    if isinstance(exc, FileNotFoundError):
        return True
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in {"404", "NoSuchKey", "NotFound"} or status == 404
    return False


def read_chunks(storage: Storage, name: str, size: int = 1 << 20) -> Iterator[bytes]:
    """A stored file's bytes, a chunk at a time (never the whole file in memory)."""
    with storage.open(name, "rb") as handle:
        yield from iter(lambda: handle.read(size), b"")


def download_response(file: Any, *, filename: str, content_type: str | None = None) -> HttpResponseBase:
    """The download of a stored file the caller has already checked the user may see: streamed
    from storage through the application (or, with ``presign``, a redirect to a short-lived signed
    URL), always as an attachment that the browser may not render. A missing file answers 404;
    a store that cannot be reached answers 503 with a Chinese message (nothing is half-sent)."""
    from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect

    storage, name = file.storage, file.name
    seconds = getattr(storage, "presign_seconds", 0)
    try:
        if seconds:
            return HttpResponseRedirect(storage.signed_download_url(name, filename, content_type, seconds))
        handle = storage.open(name, "rb")
    except storage_errors() as exc:
        if is_missing(exc):
            raise Http404("文件已不存在。") from None
        logger.warning("evidence storage unavailable on download of %s: %r", name, exc)
        return HttpResponse(UNAVAILABLE_DOWNLOAD, status=503, content_type="text/plain; charset=utf-8")
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    if "Content-Length" not in response and getattr(handle, "size", None):
        response["Content-Length"] = str(handle.size)  # a streamed object's length, from its GET
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def attachment_disposition(filename: str) -> str:
    """``Content-Disposition`` for a download named ``filename`` (RFC 6266, UTF-8 for Chinese)."""
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "file"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
