"""planhub.wsgi: the WSGI entry point (pages only) answers a page through Django."""

from __future__ import annotations

import io

import pytest

pytestmark = pytest.mark.django_db


def test_wsgi_application_serves_the_login_page():
    from planhub.wsgi import application

    seen: dict[str, object] = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/accounts/login/",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    body = b"".join(application(environ, start_response))
    assert seen["status"] == "200 OK", seen
    assert "登录".encode() in body
