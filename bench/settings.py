"""Settings for the benchmarks: the real settings (production by default) plus the bench app and
viewflow's workflow engine, which only the transition benchmark's baseline uses.

``manage.py bench ...`` and ``manage.py seed_scale ...`` use this module unless
DJANGO_SETTINGS_MODULE says otherwise (manage.py).
"""

from planhub.settings import *  # noqa: F403
from planhub.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "viewflow", "viewflow.workflow", "bench"]
# The benchmarks sign bureau accounts in without a phone: two-factor sign-in is not what they measure.
TWO_FACTOR_REQUIRED = False
