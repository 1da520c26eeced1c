from django.apps import AppConfig


class PlanhubConfig(AppConfig):
    """The project package as an app only for its management command (``serve``)."""

    name = "planhub"
    verbose_name = "平台"

    def ready(self) -> None:
        # After the admin's autodiscovery (django.contrib.admin is installed before planhub).
        from planhub.admin_chinese import translate_admin

        translate_admin()
