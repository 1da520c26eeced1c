"""WSGI entry point: plain HTTP pages only (no websockets; /ws/ needs planhub.asgi).

For a deployment that serves pages through WSGI workers (cheaper per request than Django's ASGI
path) and only /ws/ through an ASGI server, with one proxy in front routing /ws/ to the latter.
`manage.py bench http --server granian-wsgi` measures that arrangement.
"""

import gc
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planhub.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:  # a missing environment variable: say so, without a traceback
    raise SystemExit(f"Configuration error: {exc}") from None

# As in planhub.asgi: what lives as long as the process is kept out of the collector's rescans.
gc.collect()
gc.freeze()
