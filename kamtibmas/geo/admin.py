"""Admin for units and areas, without GeoDjango widgets (GDAL is not installed).

Boundaries are shown read-only as a short summary; they change through `kamtibmas geo import`.
Edits that move a jurisdiction (a unit's kecamatan, a kelurahan's kecamatan, a unit switched
off) invalidate the point -> area index in every process.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from shapely.geometry import shape

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kecamatan, Kelurahan, Neighbourhood, Unit
from kamtibmas.geo.projection import area_km2


def geometry_summary(geojson: dict[str, Any] | None) -> str:
    """'MultiPolygon, 245 vertices, 33.28 km²', or a dash when there is none."""
    if not geojson:
        return "-"
    try:
        geom = shape(geojson)
        vertices = sum(
            len(p.exterior.coords) + sum(len(r.coords) for r in p.interiors)
            for p in getattr(geom, "geoms", [geom])
        )
        return gettext("%(type)s, %(vertices)d vertices, %(area).2f km²") % {
            "type": geom.geom_type,
            "vertices": vertices,
            "area": area_km2(geom),
        }
    except (ValueError, TypeError, AttributeError, KeyError):
        return gettext("unreadable geometry")


class InvalidatesLookup(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rebuild the point -> area index after any change made here."""

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        lookup.invalidate()

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        super().delete_model(request, obj)
        lookup.invalidate()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)
        lookup.invalidate()


@admin.register(Unit)
class UnitAdmin(InvalidatesLookup):
    list_display = ("name", "code", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    filter_horizontal = ("kecamatan",)
    fields = ("name", "code", "kind", "parent", "kecamatan", "is_active", "sector_summary")
    readonly_fields = ("sector_summary",)

    @admin.display(description=_("sector boundary"))
    def sector_summary(self, obj: Unit) -> str:
        return geometry_summary(obj.sector_geometry)


@admin.register(Kecamatan)
class KecamatanAdmin(InvalidatesLookup):
    list_display = ("code", "name", "is_approximate")
    list_filter = ("is_approximate",)
    search_fields = ("code", "name")
    fields = ("code", "name", "is_approximate", "boundary")
    readonly_fields = ("is_approximate", "boundary")

    @admin.display(description=_("boundary"))
    def boundary(self, obj: Kecamatan) -> str:
        return geometry_summary(obj.geometry)


class NeighbourhoodInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Neighbourhood
    extra = 0


@admin.register(Kelurahan)
class KelurahanAdmin(InvalidatesLookup):
    list_display = ("code", "name", "kecamatan", "is_approximate", "area_km2")
    list_filter = ("kecamatan", "is_approximate")
    search_fields = ("code", "name")
    list_select_related = ("kecamatan",)
    fields = ("code", "name", "kecamatan", "lat", "lon", "is_approximate", "area_km2", "boundary")
    readonly_fields = ("is_approximate", "area_km2", "boundary")
    inlines = (NeighbourhoodInline,)

    @admin.display(description=_("boundary"))
    def boundary(self, obj: Kelurahan) -> str:
        return geometry_summary(obj.geometry)


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("__str__", "kelurahan", "rw", "rt")
    list_filter = ("kelurahan__kecamatan",)
    search_fields = ("kelurahan__name", "kelurahan__code", "rw", "rt")
    autocomplete_fields = ("kelurahan",)
