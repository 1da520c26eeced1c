"""Where a form goes back to after an action: the page it came from, never another site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the request's ``next`` (POST, else GET) if it is a local URL, else to ``default``
    (a URL or a URL name). A ``next`` on https is refused on an http request and the reverse holds
    too: the return link never downgrades the scheme."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)
