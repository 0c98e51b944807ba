from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "kamtibmas.community"
    label = "community"
    verbose_name = _("Community programmes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Follow-ups of aspirations heard at an event reach the event's attendees.
        from kamtibmas.community import signals  # noqa: F401
