from django.apps import AppConfig


class CctvConfig(AppConfig):
    name = "kamtibmas.cctv"
    label = "cctv"
    verbose_name = "CCTV"
    default_auto_field = "django.db.models.BigAutoField"
