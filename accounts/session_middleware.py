"""Django's SessionMiddleware, except that a request whose cookie names no session leaves the
cookie alone unless the request itself ended the session.

Django deletes the session cookie whenever the session it loaded is empty. A request that started
with the old key while another request cycled it (a password change keeps its user signed in
under a new key, and so does signing in) finds nothing under that key; its response would delete
the cookie the other response had just set, and if it arrives last the browser is signed out.
Background requests make this likely: the notification feed polls while the password form is
sent. A key that names nothing signs nobody in, so keeping it is harmless; a sign-out (``flush``)
marks the session modified and still deletes the cookie.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not session.modified
            and session.is_empty()
        ):
            if session.accessed:
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
