"""Synthetic Balikpapan crime incidents for ``kamtibmas demo``, with the structure real crime has.

No public incident-level crime data exists for Balikpapan, so the demo makes its own, labelled
synthetic everywhere (``is_synthetic=True``, external ids ``SYN-<seed>-<n>``, LP numbers
``LP/B/SINTETIS-<n>/<month>/<year>/SPKT/POLRES BALIKPAPAN``, descriptions starting ``[DEMO]``).
Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed, end date and areas
give identical arrays.

``generate(seed, count, end=...)`` is a pure function (numpy, shapely, pyproj; no database) that
returns a :class:`SyntheticIncidents` of column arrays; ``load_demo_incidents`` inserts them.
The categories' parameters and the calendar live in ``kamtibmas.demo_incident_profiles``.

Design: a marked, self-exciting point process over ``days`` (730) days ending ``end`` (default
yesterday, WITA).

* **Micro-places.** Crime sits at few places (Weisburd's law of concentration). Attractors are
  the 1,094 OpenStreetMap amenities of ``../shared/data/balikpapan/places_osm.csv`` (read at run
  time, never copied: shops, markets, banks, schools, hotels, fuel stations...), a market hub at
  each kelurahan's interior point, residential neighbourhoods (10 per kelurahan near its interior
  point, plus one wide "diffuse" spot) and road points on the links between neighbouring
  kelurahan. Without the shared file only the kelurahan-based attractors are used. Each has a
  heavy-tailed weight: a base weight per kind of place times a lognormal (sigma 1.5), so a few
  hundred attractors carry most of the intensity. Points are jittered around their attractor
  (sd 45 m at a place, 60 m on a road, 80 m in a neighbourhood, 1-2.5 km for the diffuse spot)
  and kept inside the kelurahan polygons (vectorised ``shapely.contains_xy``, in UTM 50S).
  Measured (24,000, seeds 1-3 and 42): the top 5 % of non-empty 150 m cells hold 36-44 % of the
  incidents, the top 1 % 13-22 %.
* **Categories** differ in share, in the kinds of place they favour (an affinity per category
  and group: domestic violence at homes, theft at markets and shops, traffic accidents on roads,
  narcotics at lodgings...), in their daily and weekly cycles (curat and curanmor at night and
  early morning, theft in the afternoon, disorder and assault on Friday and Saturday nights,
  traffic accidents at the rush hours, fraud in office hours) and in their marks (time windows,
  report delays, clearance, victims, suspects, value lost in rupiah, modus operandi phrases).
* **Seasons.** A yearly cosine per category; the last ten days of Ramadan (shopping: theft,
  fraud, robbery up) and Lebaran with its mudik (empty houses: burglary x2; traffic up); the
  year-end holidays and New Year's Eve (disorder, traffic). Idul Fitri is taken 354.367 days
  apart from 10 April 2024, within a day of the government calendar.
* **Trend.** The city drifts up 3 %/year; five kelurahan on the growth corridor (Manggar, Batu
  Ampar, Karang Joang, Graha Indah, Sepinggan Baru) rise 35 %/year. The background intensity
  is ``P_c(place) * growth(kelurahan, day) * season_c(day)``: the day is drawn from its marginal,
  then the place given the day's 30-day block.
* **Near-repeat bursts.** Every event triggers Poisson(m_c) offspring (m = 0.55 curat, 0.50
  curanmor, 0.35 curas, 0.30 theft, 0.05-0.25 for the rest), with 2-D normal offsets of sd 50 m
  (capped at 200 m) and lags of ``floor(Exp(2 days))`` days (at most 13), 85 % of the same
  category (a burglary begets burglaries next door), recursively: a branching process. Offspring
  keep the daily cycle of their category. The candidates are then thinned to exactly ``count``.
  Measured: about 28 % are offspring; pairs within 200 m and 7 days are 1.14-1.25 times as many
  as with the times shuffled, 2.6-4.4 times for curat alone.
* **Times.** Burglaries (curat) are mostly windows: from the evening before to the morning they
  are found (or from leaving for work to coming home); curanmor, theft, fraud and domestic
  violence sometimes; the rest exact, minutes heaped on :00 and :30 as in real records. Reports
  follow after a lognormal delay; clearance grows with the age of the case.

The loader puts a seed's set in one transaction with one ``ImportBatch`` and one ``imported``
``IncidentEvent`` per incident, derives kelurahan and Polsek for all points at once as the CSV
import does (``kamtibmas.incidents.arealookup``), and skips a seed whose set exists already, so
``kamtibmas demo`` can run again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from kamtibmas.demo_incident_marks import EXTERNAL_ID_PREFIX, SyntheticIncidents, _marks
from kamtibmas.demo_incident_process import (
    PLACES_CSV,
    RISING_KELURAHAN,
    _attractors,
    _Events,
    _map,
    _Process,
)
from kamtibmas.demo_incident_profiles import (
    CATEGORIES,
    idul_fitri,
)

DEFAULT_INCIDENTS = 24_000
DEFAULT_DAYS = 730
__all__ = [
    "CATEGORIES", "DEFAULT_INCIDENTS", "RISING_KELURAHAN", "LoadResult", "SyntheticIncidents",
    "existing_count", "generate", "idul_fitri", "load_demo_incidents",
]  # fmt: skip


def generate(
    seed: int,
    count: int = DEFAULT_INCIDENTS,
    *,
    end: date | None = None,
    days: int = DEFAULT_DAYS,
    areas: Mapping[str, BaseGeometry] | None = None,
    places: Path | None = PLACES_CSV,
) -> SyntheticIncidents:
    """Draw exactly ``count`` synthetic incidents over ``days`` days ending on ``end`` (WITA;
    default yesterday), inside ``areas`` (kelurahan code -> lon/lat polygon; default the
    built-in approximate boundaries), with attractors from ``places`` when that file exists.

    >>> from datetime import date
    >>> data = generate(42, 2000, end=date(2025, 12, 31))  # doctest: +SKIP
    >>> len(data), data.category_codes()[:3]  # doctest: +SKIP
    """
    if count < 0 or days < 1:
        raise ValueError("count must be >= 0 and days >= 1")
    end = end or (datetime.now(UTC) + timedelta(hours=8)).date() - timedelta(days=1)
    rng = np.random.default_rng(seed)
    geo = _map(areas)
    process = _Process(rng, geo, _attractors(rng, geo, places), days, end)
    factor = 1.1
    while True:
        parts = [process.background(math.ceil(count * factor))]
        for generation in range(1, 10):
            parts.append(process.offspring(parts[-1], generation))
        events = _Events.concat(parts)
        if len(events) >= count:
            break
        factor *= 1.2  # pragma: no cover - the first draw nearly always suffices
    chosen = np.sort(rng.choice(len(events), count, replace=False))
    events = events.take(chosen)
    events = events.take(np.argsort(events.seconds, kind="stable"))
    return _marks(rng, seed, geo, process, events, end, days)


# --------------------------------------------------------------------------------- loader


@dataclass
class LoadResult:
    created: int = 0
    existing: int = 0
    outside: int = 0


def existing_count(seed: int) -> int:
    """Synthetic incidents of this seed already in the database."""
    from kamtibmas.incidents.models import BALIKPAPAN, Incident

    return Incident.objects.filter(
        dataset=BALIKPAPAN,
        is_synthetic=True,
        external_id__startswith=EXTERNAL_ID_PREFIX.format(seed=seed),
    ).count()


def _database_areas() -> dict[str, BaseGeometry] | None:
    from shapely.geometry import shape

    from kamtibmas.geo.models import Kelurahan

    rows = Kelurahan.objects.exclude(geometry=None).values_list("code", "geometry")
    return {code: _valid(shape(geometry)) for code, geometry in rows} or None


def _valid(geom: BaseGeometry) -> BaseGeometry:
    return geom if geom.is_valid else shapely.make_valid(geom)


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert plain rows (attname -> value) with one ``executemany``.

    ``bulk_create`` spends most of a 24,000-row demo in per-object, per-field preparation
    (about 1 ms a row on a busy laptop); this prepares each column once per value type:
    datetimes through the backend's adapter, other non-plain values through the field, and
    plain str/int/float/bool/None as they are. Fields missing from a row take their default."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = (str, int, float, bool, type(None))
    columns = []
    for f in fields:
        default = f.get_default()
        values = [row.get(f.attname, default) for row in rows]
        if f.get_internal_type() == "DateTimeField":
            values = [connection.ops.adapt_datetimefield_value(v) for v in values]
        elif not all(isinstance(v, plain) for v in values):
            values = [f.get_db_prep_save(v, connection) for v in values]
        columns.append(values)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = (c[start : start + 5000] for c in columns)
            cursor.executemany(sql, list(zip(*chunk, strict=True)))


def load_demo_incidents(
    *,
    seed: int,
    count: int = DEFAULT_INCIDENTS,
    end: date | None = None,
    places: Path | None = PLACES_CSV,
) -> LoadResult:
    """Insert ``count`` synthetic incidents for ``seed`` (one import batch, one ``imported``
    event each) in one transaction, unless this seed's set is there already: running it again
    adds nothing.

    Needs the reference data (kelurahan, units): ``load_reference()`` first. Kelurahan and
    Polsek come from ``kamtibmas.incidents.arealookup.locate_many`` (``geo.lookup``'s rules,
    vectorised), as for imported incidents."""
    from django.db import transaction
    from django.utils import timezone

    from kamtibmas.incidents.arealookup import locate_many
    from kamtibmas.incidents.models import BALIKPAPAN, ImportBatch, Incident, IncidentEvent

    existing = existing_count(seed)
    if existing or count <= 0:
        return LoadResult(existing=existing)
    data = generate(seed, count, end=end, areas=_database_areas(), places=places)
    result = LoadResult()
    note = f"demo --seed {seed} (SINTETIS)"
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=f"kamtibmas {note}",
            options={"synthetic": True, "seed": seed, "count": count},
            state=ImportBatch.State.RUNNING,
            rows_total=count,
        )
        rows = []
        found = locate_many(data.lat, data.lon)
        places_ = zip(found.kelurahan_id, found.kelurahan_code, found.unit_id, strict=True)
        for record, (kelurahan_id, code, unit_id) in zip(data.records(), places_, strict=True):
            if kelurahan_id is None:
                result.outside += 1
                continue
            record.update(
                dataset=BALIKPAPAN,
                import_batch_id=batch.pk,
                kelurahan_id=kelurahan_id,
                kelurahan_code=code,
                unit_id=unit_id,
                created_at=record["reported_at"],
                updated_at=record["reported_at"],
            )
            rows.append(record)
        _insert(Incident, rows)
        created = Incident.objects.filter(import_batch=batch).values_list("pk", "created_at")
        _insert(
            IncidentEvent,
            [
                {"incident_id": pk, "at": at, "action": "imported", "new_value": note}
                for pk, at in created.iterator(chunk_size=5000)
            ],
        )
        result.created = len(rows)
        batch.rows_created = result.created
        batch.rows_rejected = result.outside
        batch.state = ImportBatch.State.DONE
        batch.progress = 1.0
        batch.finished_at = timezone.now()
        batch.save()
    return result
