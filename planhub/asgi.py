"""ASGI entry point: HTTP through Django, websockets through channels."""

import gc
import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planhub.settings")
try:
    django_asgi_app = get_asgi_application()
except ImproperlyConfigured as exc:  # a missing environment variable: say so, without a traceback
    raise SystemExit(f"Configuration error: {exc}") from None

# Settings, models, URLconf and templates loaded above live as long as the process: moved out of
# the collector's reach, they are not rescanned by every full collection a big page triggers.
gc.collect()
gc.freeze()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.handshake import SameOriginValidator, SessionUserMiddleware  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(SessionUserMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
