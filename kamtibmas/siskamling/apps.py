from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiskamlingConfig(AppConfig):
    name = "kamtibmas.siskamling"
    label = "siskamling"
    verbose_name = _("Siskamling (neighbourhood watch)")
    default_auto_field = "django.db.models.BigAutoField"
