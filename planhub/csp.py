"""Where browsers report Content Security Policy violations (``report-uri`` in settings): logged.

A report is the browser's word, sent without credentials checks by anyone: it is size-limited,
logged as data (never rendered), and answered 204.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("planhub.csp")

MAX_REPORT_BYTES = 16 * 1024
FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri", "source-file", "line-number")


@csrf_exempt
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    body = request.body[:MAX_REPORT_BYTES] if int(request.META.get("CONTENT_LENGTH") or 0) <= MAX_REPORT_BYTES else b""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    item = data.get("csp-report") if isinstance(data, dict) else None
    if isinstance(item, dict):
        logger.warning("CSP violation %s", json.dumps({k: str(item.get(k, ""))[:300] for k in FIELDS}, ensure_ascii=False))
    else:
        logger.warning("CSP violation report unreadable (%d bytes)", len(body))
    return HttpResponse(status=204)
