"""Static file finders."""

from django.contrib.staticfiles.finders import AppDirectoriesFinder

# viewflow's Material frontend is not used (the project has its own pages), and its CSS refers to
# font files the wheel does not ship, which breaks the hashed, compressed static storage.
SKIPPED_APPS = {"viewflow", "viewflow.workflow"}


class ProjectAppDirectoriesFinder(AppDirectoriesFinder):
    """The static files of installed apps, without viewflow's frontend."""

    def __init__(self, app_names=None, *args, **kwargs):
        super().__init__(app_names, *args, **kwargs)
        for app in list(self.storages):
            if app in SKIPPED_APPS:
                del self.storages[app]
        self.apps = [app for app in self.apps if app not in SKIPPED_APPS]
