from django.apps import AppConfig


class PlanhubConfig(AppConfig):
    """The project package as an app only for its management command (``serve``)."""

    name = "planhub"
    verbose_name = "平台"
