from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "kamtibmas.patrols"
    label = "patrols"
    verbose_name = _("Patrols")
    default_auto_field = "django.db.models.BigAutoField"
