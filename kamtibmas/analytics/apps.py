from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "kamtibmas.analytics"
    label = "analytics"
    verbose_name = _("Crime analysis")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cache invalidation only (no workflow): a saved or deleted incident makes the
        # analysis snapshots of every process stale (see ``facts.data_version``).
        from django.db.models.signals import post_delete, post_save

        from kamtibmas.analytics import facts
        from kamtibmas.incidents.models import Incident

        post_save.connect(facts.bump_version, sender=Incident, dispatch_uid="analytics-facts")
        post_delete.connect(facts.bump_version, sender=Incident, dispatch_uid="analytics-facts-del")
