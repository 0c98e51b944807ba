"""Units of command and the areas they cover.

Polygons are stored as GeoJSON text (WGS84, [lon, lat]) and held in memory in a shapely STRtree
for lookups (see ``kamtibmas.geo.lookup``), so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kecamatan(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True, help_text="e.g. 64.71.01")
    name = models.CharField(_("name"), max_length=120)
    geometry = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    is_approximate = models.BooleanField(_("approximate boundary"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self) -> str:
        return self.name


class Kelurahan(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True, help_text="e.g. 64.71.01.1001")
    name = models.CharField(_("name"), max_length=120)
    kecamatan = models.ForeignKey(Kecamatan, on_delete=models.PROTECT, related_name="kelurahan")
    geometry = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    is_approximate = models.BooleanField(_("approximate boundary"), default=True)
    lat = models.FloatField(_("interior point latitude"))
    lon = models.FloatField(_("interior point longitude"))
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("kelurahan")
        verbose_name_plural = _("kelurahan")

    def __str__(self) -> str:
        return self.name

    @property
    def code_digits(self) -> str:
        """The 10-digit official code without dots (6471011001)."""
        return self.code.replace(".", "")


class Neighbourhood(models.Model):
    """An RT within an RW inside a kelurahan (optional detail below the kelurahan)."""

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.CASCADE, related_name="neighbourhoods"
    )
    rw = models.CharField("RW", max_length=3)
    rt = models.CharField("RT", max_length=3)

    class Meta:
        ordering = ["kelurahan", "rw", "rt"]
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "rw", "rt"], name="unique_rt_rw")
        ]

    def __str__(self) -> str:
        return f"RT {self.rt} / RW {self.rw} {self.kelurahan}"


class Unit(models.Model):
    """A unit of command: Polda > Polres > Polsek / KSKP / satuan (Sat Reskrim, Resnarkoba...)."""

    class Kind(models.TextChoices):
        POLDA = "polda", "Polda"
        POLRES = "polres", "Polres"
        POLSEK = "polsek", "Polsek"
        KSKP = "kskp", "KSKP"
        SATUAN = "satuan", _("Unit (Satuan)")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kecamatan = models.ManyToManyField(
        Kecamatan, blank=True, related_name="units", verbose_name=_("jurisdiction (kecamatan)")
    )
    # A sector unit (port, airport) has its own polygon, which takes precedence over kecamatan.
    sector_geometry = models.JSONField(_("sector boundary (GeoJSON)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The station (markas), where patrol teams start and end their routes; unknown when empty.
    station_lat = models.FloatField(_("station latitude"), null=True, blank=True)
    station_lon = models.FloatField(_("station longitude"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[Unit]:
        chain: list[Unit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def descendant_ids(self) -> set[int]:
        """Ids of this unit and every unit below it."""
        ids = {self.pk}
        frontier = [self.pk]
        while frontier:
            children = list(
                Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            frontier = [c for c in children if c not in ids]
            ids.update(frontier)
        return ids
