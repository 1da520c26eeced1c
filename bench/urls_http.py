"""The site's URLs plus one empty view: the framework's own floor through the same server stack,
measured by `manage.py bench http` (``empty_view_rps``). Only bench.settings_http uses this module;
production URLs never contain the empty view."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from planhub.urls import handler400, handler403, handler404, handler500
from planhub.urls import urlpatterns as site_urlpatterns

EMPTY_PATH = "__bench__/empty/"


def empty(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path(EMPTY_PATH, empty), *site_urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
