"""`kamtibmas geo load`: the built-in Balikpapan reference (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Model
from django.utils.translation import gettext as _

from kamtibmas.geo.models import Kecamatan, Kelurahan, Unit
from kamtibmas.geo.reference import load_reference

COUNTED: tuple[type[Model], ...] = (Unit, Kecamatan, Kelurahan)


def _counts() -> dict[str, int]:
    from kamtibmas.reports.models import Category, RoutingRule

    models: tuple[type[Model], ...] = (*COUNTED, Category, RoutingRule)
    return {str(m._meta.verbose_name_plural): m._default_manager.count() for m in models}


class Command(BaseCommand):
    help = (
        "Load the built-in reference for Polres Balikpapan: units, kecamatan, kelurahan "
        "(approximate boundaries), categories and routing rules. Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        before = _counts()
        load_reference()
        after = _counts()
        for name, total in after.items():
            self.stdout.write(
                _("%(name)s: %(total)d (%(new)d new)")
                % {"name": name, "total": total, "new": total - before.get(name, 0)}
            )
        approximate = Kelurahan.objects.filter(is_approximate=True).count()
        if approximate:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "%(count)d kelurahan have approximate boundaries; import real ones with "
                        "`kamtibmas geo import FILE.geojson`."
                    )
                    % {"count": approximate}
                )
            )
        self.stdout.write(self.style.SUCCESS(_("Reference data loaded.")))
