"""Replace the built-in approximate boundaries with real ones from a GeoJSON file.

    kamtibmas geo import kelurahan.geojson [--level kelurahan|kecamatan|auto] [--dry-run]

Each feature is matched to a kecamatan or kelurahan already in the database by its official
code (property ``kode``, ``code`` or ``kode_kel``/``kode_kec``; dotted ``64.71.01.1001`` or
plain ``6471011001``). The level is the code's length (6 digits: kecamatan, 10: kelurahan)
unless ``--level`` says.

The whole file is validated before anything is written, and written in one transaction: a file
with any bad feature changes nothing. Geometry must be a valid Polygon or MultiPolygon in WGS84
([lon, lat]); invalid rings (self-intersections and the like) are refused with shapely's reason
rather than silently repaired, because a repair can change an area in ways nobody reviewed; fix
the file (e.g. ``shapely.make_valid`` or QGIS "Fix geometries") and import again. Overlaps
between neighbours are not checked: simplified real boundaries overlap in slivers.

After a kelurahan import, each kecamatan that still has an approximate boundary gets the union
of its kelurahan as its boundary (it stays marked approximate until a kecamatan file is
imported).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.errors import ShapelyError
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from kamtibmas.geo import lookup
from kamtibmas.geo.models import Kecamatan, Kelurahan
from kamtibmas.geo.projection import area_km2

Level = Literal["kelurahan", "kecamatan"]
LEVELS: tuple[str, ...] = ("auto", "kelurahan", "kecamatan")
CODE_PROPERTIES = ("kode", "code", "kode_kel", "kode_kec", "kode_wilayah")
LEVEL_BY_DIGITS: dict[int, Level] = {6: "kecamatan", 10: "kelurahan"}
POLYGON_TYPES = ("Polygon", "MultiPolygon")
WGS84_NAMES = (
    "urn:ogc:def:crs:OGC:1.3:CRS84",
    "urn:ogc:def:crs:OGC::CRS84",
    "CRS84",
    "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4326",
)
MAX_LISTED_PROBLEMS = 20


class ImportRefused(Exception):
    """The file cannot be imported; nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.message())

    def message(self) -> str:
        lines = [_("The file was refused and nothing was changed:")]
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED_PROBLEMS]]
        hidden = len(self.problems) - MAX_LISTED_PROBLEMS
        if hidden > 0:
            lines.append("  " + _("... and %(count)d more problems.") % {"count": hidden})
        return "\n".join(lines)


@dataclass(frozen=True)
class Feature:
    """One validated feature: its position in the file, its dotted code, its geometry."""

    number: int
    code: str
    level: Level
    geometry: BaseGeometry


@dataclass(frozen=True)
class Change:
    code: str
    name: str
    was_approximate: bool
    old_area_km2: float | None
    new_area_km2: float


@dataclass
class ImportSummary:
    level: Level
    dry_run: bool
    changes: list[Change] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    recomputed_kecamatan: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.changes)

    @property
    def replaced_approximate(self) -> int:
        return sum(1 for c in self.changes if c.was_approximate)

    @property
    def old_total_km2(self) -> float:
        return sum(c.old_area_km2 or 0.0 for c in self.changes)

    @property
    def new_total_km2(self) -> float:
        return sum(c.new_area_km2 for c in self.changes)


# --- codes ---


def normalise_code(value: object) -> tuple[str, Level] | None:
    """'6471011001' or '64.71.01.1001' -> ('64.71.01.1001', 'kelurahan'); None if not a code."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    digits = str(value).strip().replace(".", "")
    level = LEVEL_BY_DIGITS.get(len(digits))
    if not digits.isdigit() or not digits.isascii() or level is None:
        return None
    parts = [digits[0:2], digits[2:4], digits[4:6]] + ([digits[6:]] if len(digits) > 6 else [])
    return ".".join(parts), level


def _raw_code(properties: dict[str, Any]) -> object:
    return next(
        (properties[k] for k in CODE_PROPERTIES if properties.get(k) not in (None, "")), None
    )


# --- geometry ---


def _coordinates(value: object) -> Iterator[object]:
    """Every leaf of a nested coordinates array."""
    if isinstance(value, list | tuple):
        for item in value:
            yield from _coordinates(item)
    else:
        yield value


def _coordinate_problem(coordinates: object) -> str | None:
    leaves = list(_coordinates(coordinates))
    if not leaves or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in leaves
    ):
        return _("the coordinates are not numbers")
    if not all(math.isfinite(float(v)) for v in leaves):  # type: ignore[arg-type]
        return _("the coordinates are not finite numbers")
    return None


def _range_problem(geom: BaseGeometry) -> str | None:
    lon_min, lat_min, lon_max, lat_max = geom.bounds
    if lon_min < -180 or lon_max > 180 or lat_min < -90 or lat_max > 90:
        return _(
            "coordinates out of range (longitude -180..180, latitude -90..90; "
            "the file must be WGS84 in [longitude, latitude] order)"
        )
    return None


def parse_geometry(raw: object) -> tuple[BaseGeometry | None, str | None]:
    """A valid (Multi)Polygon from a GeoJSON geometry object, or the reason it is refused."""
    if not isinstance(raw, dict):
        return None, _("the feature has no geometry")
    kind = raw.get("type")
    if kind not in POLYGON_TYPES:
        return None, _("geometry type %(type)s, expected Polygon or MultiPolygon") % {"type": kind}
    problem = _coordinate_problem(raw.get("coordinates"))
    if problem:
        return None, problem
    try:
        geom = shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError, ShapelyError):
        return None, _("the coordinates do not form a polygon")
    return _checked(geom)


def _checked(geom: BaseGeometry) -> tuple[BaseGeometry | None, str | None]:
    problem = _range_problem(geom) if not geom.is_empty else _("the geometry is empty")
    if problem:
        return None, problem
    if not geom.is_valid:
        return None, _("invalid geometry: %(reason)s") % {"reason": explain_validity(geom)}
    if geom.area <= 0:
        return None, _("the polygon has no area")
    return geom, None


# --- reading and validating ---


def read_collection(path: Path) -> list[Any]:
    """The features of a GeoJSON FeatureCollection, or ImportRefused."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ImportRefused([_("file not found: %(path)s") % {"path": path}]) from None
    except OSError as exc:
        raise ImportRefused(
            [_("cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}]
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused([_("the file is not valid JSON: %(error)s") % {"error": exc}]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportRefused([_("the file is not a GeoJSON FeatureCollection")])
    _check_crs(data.get("crs"))
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ImportRefused([_("the FeatureCollection has no features")])
    return features


def _check_crs(crs: object) -> None:
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if name not in WGS84_NAMES:
        raise ImportRefused(
            [
                _(
                    "coordinate system %(crs)s is not supported: "
                    "export the file in WGS84 (EPSG:4326)"
                )
                % {"crs": name or crs}
            ]
        )


def _label(number: int, code: object) -> str:
    if code in (None, ""):
        return _("feature %(number)d") % {"number": number}
    return _("feature %(number)d (%(code)s)") % {"number": number, "code": code}


def _parse_feature(number: int, raw: object, level: str) -> tuple[Feature | None, str | None]:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        return None, _label(number, None) + ": " + _("not a GeoJSON Feature")
    properties = raw.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    raw_code = _raw_code(properties)
    if raw_code is None:
        return None, _label(number, None) + ": " + _(
            "no code (expected a property kode, code or kode_kel)"
        )
    parsed = normalise_code(raw_code)
    if parsed is None:
        return None, _label(number, raw_code) + ": " + _(
            "not an official code (expected e.g. 64.71.01.1001 or 6471011001)"
        )
    code, code_level = parsed
    if level != "auto" and code_level != level:
        return None, _label(number, code) + ": " + _("a %(found)s code in a %(level)s import") % {
            "found": code_level,
            "level": level,
        }
    geom, problem = parse_geometry(raw.get("geometry"))
    if geom is None:
        return None, _label(number, code) + ": " + str(problem)
    return Feature(number, code, code_level, geom), None


def _level_of(features: list[Feature], level: str) -> Level:
    levels = {f.level for f in features}
    if len(levels) > 1:
        raise ImportRefused(
            [_("the file mixes kecamatan and kelurahan codes: import them as two files")]
        )
    if levels:
        return next(iter(levels))
    return "kecamatan" if level == "kecamatan" else "kelurahan"


def _duplicates(features: list[Feature]) -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for feature in features:
        if feature.code in seen:
            problems.append(
                _label(feature.number, feature.code)
                + ": "
                + _("the same code as feature %(number)d") % {"number": seen[feature.code]}
            )
        seen.setdefault(feature.code, feature.number)
    return problems


def validate(raw_features: list[Any], level: str = "auto") -> tuple[Level, list[Feature]]:
    """Parse every feature, collect every problem, and refuse the file if there is any."""
    if level not in LEVELS:
        raise ImportRefused([_("unknown level %(level)s") % {"level": level}])
    features: list[Feature] = []
    problems: list[str] = []
    for number, raw in enumerate(raw_features, start=1):
        feature, problem = _parse_feature(number, raw, level)
        if feature is not None:
            features.append(feature)
        if problem:
            problems.append(problem)
    resolved = _level_of(features, level)
    problems += _duplicates(features) + _unknown_codes(features, resolved)
    if problems:
        raise ImportRefused(problems)
    return resolved, features


def _model(level: Level) -> type[Kecamatan] | type[Kelurahan]:
    return Kelurahan if level == "kelurahan" else Kecamatan


def _unknown_codes(features: list[Feature], level: Level) -> list[str]:
    known = set(_model(level).objects.values_list("code", flat=True))
    return [
        _label(f.number, f.code)
        + ": "
        + _("no %(level)s with this code in the database") % {"level": level}
        for f in features
        if f.code not in known
    ]


# --- planning and writing ---


def _old_area(row: Kecamatan | Kelurahan) -> float | None:
    """The area of the boundary being replaced (not the official figure in ``area_km2``)."""
    return area_km2(shape(row.geometry)) if row.geometry else None


def _plan(level: Level, features: list[Feature], dry_run: bool) -> ImportSummary:
    rows = {row.code: row for row in _model(level).objects.all()}
    summary = ImportSummary(level, dry_run)
    for feature in features:
        row = rows.pop(feature.code)
        summary.changes.append(
            Change(
                feature.code,
                row.name,
                row.is_approximate,
                _old_area(row),
                area_km2(feature.geometry),
            )
        )
    summary.not_in_file = sorted(rows)
    return summary


def _interior_point(kel: Kelurahan, geom: BaseGeometry) -> tuple[float, float]:
    """Keep the stored interior point if the new boundary holds it, else pick one inside."""
    if geom.intersects(Point(kel.lon, kel.lat)):
        return kel.lat, kel.lon
    point = geom.representative_point()
    return point.y, point.x


def _write_kelurahan(features: list[Feature]) -> None:
    rows = Kelurahan.objects.in_bulk([f.code for f in features], field_name="code")
    for feature in features:
        kel = rows[feature.code]
        kel.lat, kel.lon = _interior_point(kel, feature.geometry)
        kel.geometry = mapping(feature.geometry)
        kel.area_km2 = round(area_km2(feature.geometry), 4)
        kel.is_approximate = False
        kel.save(update_fields=["geometry", "area_km2", "is_approximate", "lat", "lon"])


def _write_kecamatan(features: list[Feature]) -> None:
    rows = Kecamatan.objects.in_bulk([f.code for f in features], field_name="code")
    for feature in features:
        kec = rows[feature.code]
        kec.geometry = mapping(feature.geometry)
        kec.is_approximate = False
        kec.save(update_fields=["geometry", "is_approximate"])


def recompute_approximate_kecamatan() -> list[str]:
    """Give each still-approximate kecamatan the union of its kelurahan; their codes."""
    done = []
    for kec in Kecamatan.objects.filter(is_approximate=True).prefetch_related("kelurahan"):
        members = [shape(k.geometry) for k in kec.kelurahan.all() if k.geometry]
        if members:
            kec.geometry = mapping(shapely.union_all(members))
            kec.save(update_fields=["geometry"])
            done.append(kec.code)
    return done


def import_file(path: Path | str, level: str = "auto", dry_run: bool = False) -> ImportSummary:
    """Validate the whole file, then (unless dry_run) replace the boundaries in one transaction.

    Raises ImportRefused, listing every offending feature, when anything is wrong.
    """
    resolved, features = validate(read_collection(Path(path)), level)
    summary = _plan(resolved, features, dry_run)
    if dry_run:
        return summary
    with transaction.atomic():
        if resolved == "kelurahan":
            _write_kelurahan(features)
            summary.recomputed_kecamatan = recompute_approximate_kecamatan()
        else:
            _write_kecamatan(features)
    lookup.invalidate()
    return summary
