from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastsConfig(AppConfig):
    name = "kamtibmas.forecasts"
    label = "forecasts"
    verbose_name = _("Crime forecasts")
    default_auto_field = "django.db.models.BigAutoField"
