"""Built-in reference for Polres Balikpapan: kecamatan, kelurahan and units of command.

Official polygons cannot ship with the project, so the built-in boundaries are an
approximation: Voronoi cells of each kelurahan's interior point, clipped to an approximate
city outline: the union of the points' hull (widened by 1 km) and a disc around each point
whose area is 1.7 times the kelurahan's (radius 1.3 times that of an equal-area disc). Against
the real city outline this covers 98 % of the city and takes in about 120 km² of sea and
neighbouring land, which errs on the side of accepting a resident's report. They are marked
``is_approximate`` and the UI says so; ``kamtibmas geo import`` replaces them with real boundaries.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import shapely
from django.db import transaction
from shapely.geometry import MultiPoint, Point, box, mapping
from shapely.geometry.base import BaseGeometry

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kecamatan, Kelurahan, Unit
from kamtibmas.geo.projection import area_km2, to_lonlat, to_metres

FACTS_CSV = Path(__file__).parent / "data" / "kelurahan_facts.csv"
HULL_MARGIN_M = 1000.0
DISC_FACTOR = 1.3


@dataclass(frozen=True)
class KelurahanFact:
    code: str
    name: str
    kecamatan_code: str
    kecamatan_name: str
    lat: float
    lon: float
    area_km2: float


def read_facts(path: Path = FACTS_CSV) -> list[KelurahanFact]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            KelurahanFact(
                row["kode"],
                row["kelurahan"],
                row["kode_kecamatan"],
                row["kecamatan"],
                float(row["lat"]),
                float(row["lon"]),
                float(row["area_km2"]),
            )
            for row in csv.DictReader(fh)
        ]


def approximate_polygons(facts: list[KelurahanFact]) -> dict[str, BaseGeometry]:
    """Voronoi cells (lon/lat) of the interior points, clipped to the widened hull."""
    points = [to_metres(Point(f.lon, f.lat)) for f in facts]
    discs = [
        point.buffer(DISC_FACTOR * math.sqrt(fact.area_km2 * 1e6 / math.pi))
        for fact, point in zip(facts, points, strict=True)
    ]
    outline = shapely.union_all([MultiPoint(points).convex_hull.buffer(HULL_MARGIN_M), *discs])
    extent = box(*outline.buffer(1000).bounds)
    cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=extent)
    by_code: dict[str, BaseGeometry] = {}
    for cell in cells.geoms:
        for fact, point in zip(facts, points, strict=True):
            if cell.contains(point):
                by_code[fact.code] = to_lonlat(cell.intersection(outline))
    return by_code


# (code, name, kind, parent code, kecamatan code)
UNITS: list[tuple[str, str, str, str | None, str | None]] = [
    ("polda-kaltim", "Polda Kalimantan Timur", Unit.Kind.POLDA, None, None),
    ("polres-balikpapan", "Polres Balikpapan", Unit.Kind.POLRES, "polda-kaltim", None),
    (
        "polsek-balikpapan-timur",
        "Polsek Balikpapan Timur",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.01",
    ),
    (
        "polsek-balikpapan-barat",
        "Polsek Balikpapan Barat",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.02",
    ),
    (
        "polsek-balikpapan-utara",
        "Polsek Balikpapan Utara",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.03",
    ),
    (
        "polsek-balikpapan-tengah",
        "Polsek Balikpapan Tengah",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.04",
    ),
    (
        "polsek-balikpapan-selatan",
        "Polsek Balikpapan Selatan",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.05",
    ),
    (
        "polsek-balikpapan-kota",
        "Polsek Balikpapan Kota",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        "64.71.06",
    ),
    (
        "polsek-pelabuhan-semayang",
        "Polsek Kawasan Pelabuhan Semayang",
        Unit.Kind.KSKP,
        "polres-balikpapan",
        None,
    ),
    (
        "polsek-bandara-sepinggan",
        "Polsek Kawasan Bandara Sepinggan",
        Unit.Kind.POLSEK,
        "polres-balikpapan",
        None,
    ),
    ("sat-reskrim", "Sat Reskrim Polres Balikpapan", Unit.Kind.SATUAN, "polres-balikpapan", None),
    (
        "sat-resnarkoba",
        "Sat Resnarkoba Polres Balikpapan",
        Unit.Kind.SATUAN,
        "polres-balikpapan",
        None,
    ),
    ("sat-samapta", "Sat Samapta Polres Balikpapan", Unit.Kind.SATUAN, "polres-balikpapan", None),
    ("sat-binmas", "Sat Binmas Polres Balikpapan", Unit.Kind.SATUAN, "polres-balikpapan", None),
]

# Approximate sector boundaries (lon/lat boxes) around the port and the airport.
SECTORS = {
    "polsek-pelabuhan-semayang": box(116.8040, -1.2800, 116.8125, -1.2725),
    "polsek-bandara-sepinggan": box(116.8800, -1.2740, 116.9100, -1.2590),
}


@transaction.atomic
def load_areas(facts: list[KelurahanFact] | None = None) -> tuple[int, int]:
    """Create or update kecamatan and kelurahan; boundaries only where none exists yet, so
    imported real boundaries are never overwritten by the approximation."""
    facts = facts or read_facts()
    polygons = approximate_polygons(facts)
    created = 0
    for fact in facts:
        kec, _ = Kecamatan.objects.get_or_create(
            code=fact.kecamatan_code, defaults={"name": fact.kecamatan_name}
        )
        kel, was_created = Kelurahan.objects.get_or_create(
            code=fact.code,
            defaults={
                "name": fact.name,
                "kecamatan": kec,
                "lat": fact.lat,
                "lon": fact.lon,
                "area_km2": fact.area_km2,
                "geometry": mapping(polygons[fact.code]),
                "is_approximate": True,
            },
        )
        created += int(was_created)
    for kec in Kecamatan.objects.filter(geometry=None):
        members = [shapely.geometry.shape(k.geometry) for k in kec.kelurahan.all() if k.geometry]
        if members:
            kec.geometry = mapping(shapely.union_all(members))
            kec.save(update_fields=["geometry"])
    lookup.invalidate()
    return created, len(facts)


@transaction.atomic
def load_units() -> int:
    created = 0
    for code, name, kind, parent_code, kecamatan_code in UNITS:
        parent = Unit.objects.get(code=parent_code) if parent_code else None
        unit, was_created = Unit.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": parent}
        )
        created += int(was_created)
        if was_created and kecamatan_code:
            unit.kecamatan.add(Kecamatan.objects.get(code=kecamatan_code))
        if was_created and code in SECTORS:
            unit.sector_geometry = mapping(SECTORS[code])
            unit.save(update_fields=["sector_geometry"])
    lookup.invalidate()
    return created


def load_reference() -> None:
    """Everything a fresh Balikpapan installation needs; safe to run again."""
    from kamtibmas.accounts.reference import ensure_role_groups
    from kamtibmas.reports.reference import load_categories, load_routing_rules

    ensure_role_groups()
    load_areas()
    load_units()
    load_categories()
    load_routing_rules()


__all__ = ["area_km2", "load_reference", "read_facts"]
