"""Settings for the test suite: the real settings with local, fast defaults."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("HTTPS", "0")
# Two-factor sign-in is tested by tests/accounts with the setting turned on there.
os.environ.setdefault("TWO_FACTOR_REQUIRED", "0")
# Test runs sharing one Redis (the suite's xdist workers, two checkouts) never hear each other's
# channel-layer messages; processes a test starts inherit the prefix through the environment.
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"planhub-test-{os.getpid()}")

from planhub.settings import *  # noqa: E402,F403
from planhub.settings import DATABASES, INSTALLED_APPS  # noqa: E402

# The benchmarks' own tests run their commands (seed_scale, bench ...).
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PASSWORD_HASHERS += ["orgs.passwords.InitialPasswordHasher"]  # roster imports' initial passwords
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="planhub-test-media-")
# A throwaway checkpoint-signing key for the test run (audit.chain).
AUDIT_KEY_FILE = os.path.join(tempfile.mkdtemp(prefix="planhub-test-key-"), "audit_key")
with open(AUDIT_KEY_FILE, "w") as _key:
    _key.write(os.urandom(32).hex())
WHITENOISE_AUTOREFRESH = True
# Connections are not kept between requests in tests: a live server thread's open connection
# would otherwise keep the PostgreSQL test database busy when it is dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: threads of concurrency tests and the live server share it.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(tempfile.gettempdir(), f"planhub-test-{os.getpid()}.sqlite3")}
