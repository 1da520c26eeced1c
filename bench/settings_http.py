"""Settings of the servers `manage.py bench http` starts: the production settings, unchanged, plus
the benchmark's own URLconf (the site's URLs and one empty view). Never deploy it."""

from planhub.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_http"
