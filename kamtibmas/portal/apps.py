from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _create_cache_table(sender: AppConfig, **kwargs: Any) -> None:
    """`kamtibmas migrate` also creates the database cache table (rate limits, lookup version)."""
    from django.core.management import call_command

    call_command("createcachetable", database=kwargs.get("using", "default"), verbosity=0)


class PortalConfig(AppConfig):
    name = "kamtibmas.portal"
    label = "portal"

    def ready(self) -> None:
        post_migrate.connect(_create_cache_table, sender=self)
        from kamtibmas.portal import public_stats  # noqa: F401  (registers its system check)
