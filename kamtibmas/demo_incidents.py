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

import csv
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from kamtibmas.demo_incident_profiles import (
    CATEGORIES,
    GROUPS,
    LABELS,
    OFFSPRING_OTHER,
    OTHER_PLACE,
    PLACE_KINDS,
    PROFILES,
    calendar,
    day_weights,
    hour_cdf,
    idul_fitri,
)

DEFAULT_INCIDENTS = 24_000
DEFAULT_DAYS = 730
WITA_OFFSET_S = 8 * 3600
DAY_S = 86_400
FACTS_CSV = Path(__file__).parent / "geo" / "data" / "kelurahan_facts.csv"


def _find_places() -> Path:
    """../shared/data/balikpapan/places_osm.csv beside the project's root (a checkout), else
    beside the working directory; the first when neither exists (then it is skipped)."""
    name = Path("shared", "data", "balikpapan", "places_osm.csv")
    candidates = [Path(__file__).resolve().parents[2] / name, Path.cwd().parent / name]
    return next((p for p in candidates if p.exists()), candidates[0])


PLACES_CSV = _find_places()
EXTERNAL_ID_PREFIX = "SYN-{seed}-"
__all__ = [
    "CATEGORIES", "DEFAULT_INCIDENTS", "LoadResult", "SyntheticIncidents", "existing_count",
    "generate", "idul_fitri", "load_demo_incidents",
]  # fmt: skip

RISING_KELURAHAN = (
    "64.71.01.1001",
    "64.71.03.1001",
    "64.71.03.1003",
    "64.71.03.1006",
    "64.71.05.1008",
)
RISING_PER_YEAR = 0.35
CITY_PER_YEAR = 0.03

JITTER_M = {"residential": 80.0, "road": 60.0}  # others 45 m
WEIGHT_SIGMA = 1.5
DIFFUSE_WEIGHT = 1.5
NEAR_REPEAT_M = 50.0  # sd of an offspring's offset (capped at 200 m)
NEAR_REPEAT_DAYS = 2.0  # mean lag (floor of an exponential, capped at 13 days)


ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
STATUSES = ("open", "solved", "closed")


@dataclass
class SyntheticIncidents:
    """Column arrays, one row per incident, ordered by ``occurred_from``.

    Times are ``datetime64[s]`` in UTC (NaT for no ``occurred_to`` / ``value_lost`` is NaN);
    ``x_m``/``y_m`` are UTM 50S metres; ``category`` holds indices into ``CATEGORIES``."""

    seed: int
    start: np.datetime64
    end: np.datetime64
    category: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    time: np.ndarray  # the moment drawn by the process (inside the window)
    occurred_from: np.ndarray
    occurred_to: np.ndarray
    reported_at: np.ndarray
    kelurahan_code: np.ndarray
    premises_type: np.ndarray
    modus_operandi: np.ndarray
    status: np.ndarray
    victims_count: np.ndarray
    suspects_count: np.ndarray
    value_lost: np.ndarray
    location_accuracy_m: np.ndarray
    lp_number: np.ndarray
    generation: np.ndarray  # 0 background, 1.. near-repeat offspring

    def __len__(self) -> int:
        return len(self.category)

    def category_codes(self) -> np.ndarray:
        return np.asarray(CATEGORIES)[self.category]

    def local_hour(self) -> np.ndarray:
        return ((self.time.astype(np.int64) + WITA_OFFSET_S) // 3600) % 24

    def local_weekday(self) -> np.ndarray:
        """0 = Monday (1970-01-01 was a Thursday)."""
        return ((self.time.astype(np.int64) + WITA_OFFSET_S) // DAY_S + 3) % 7

    def records(self) -> Iterator[dict[str, Any]]:
        """One dict of Incident field values per row (aware datetimes, kelurahan code)."""
        prefix = EXTERNAL_ID_PREFIX.format(seed=self.seed)
        columns: dict[str, list[Any]] = {
            name: getattr(self, name).tolist()
            for name in ("lp_number", "location_accuracy_m", "kelurahan_code", "premises_type",
                         "modus_operandi", "status", "victims_count", "suspects_count")
        }  # fmt: skip
        columns.update(
            lat=np.round(self.lat, 6).tolist(),
            lon=np.round(self.lon, 6).tolist(),
            occurred_from=_aware(self.occurred_from),
            occurred_to=_aware(self.occurred_to),
            reported_at=_aware(self.reported_at),
            value_lost=[None if np.isnan(v) else int(v) for v in self.value_lost.tolist()],
        )
        for i, c in enumerate(self.category.tolist()):
            row = {name: values[i] for name, values in columns.items()}
            row.update(
                external_id=f"{prefix}{i + 1}",
                category=CATEGORIES[c],
                source_category=LABELS[c],
                description=f"[DEMO] Data sintetis, bukan kejadian nyata: {LABELS[c]} di "
                f"{row['premises_type']}.",
                is_synthetic=True,
            )
            yield row


def _aware(values: np.ndarray) -> list[datetime | None]:
    """datetime64[s] (UTC) -> aware datetimes, None for NaT."""
    out = values.astype("datetime64[us]").astype(object).tolist()
    return [None if v is None else v.replace(tzinfo=UTC) for v in out]


# ------------------------------------------------------------------------------ geography


@dataclass(frozen=True)
class _Kelurahan:
    code: str
    x: float
    y: float
    area_km2: float


@dataclass
class _Map:
    kelurahan: list[_Kelurahan]
    polygons: list[BaseGeometry]  # UTM, same order (by code)
    union: BaseGeometry

    def inside(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(shapely.contains_xy(self.union, x, y))

    def kelurahan_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the containing kelurahan, the lowest code winning overlaps; -1 outside."""
        out = np.full(len(x), -1)
        for k in range(len(self.polygons) - 1, -1, -1):
            out[np.asarray(shapely.contains_xy(self.polygons[k], x, y))] = k
        return out


def _to_utm() -> Transformer:
    return Transformer.from_crs("EPSG:4326", "EPSG:32750", always_xy=True)


def _read_facts() -> list[dict[str, str]]:
    with FACTS_CSV.open(newline="", encoding="utf-8") as fh:
        return sorted(csv.DictReader(fh), key=lambda row: row["kode"])


def _map(areas: Mapping[str, BaseGeometry] | None) -> _Map:
    facts = _read_facts()
    if areas is None:
        from kamtibmas.geo.reference import approximate_polygons, read_facts

        areas = approximate_polygons(read_facts())
    fwd = _to_utm()
    kel, polys = [], []
    for row in facts:
        if row["kode"] not in areas:
            continue
        x, y = fwd.transform(float(row["lon"]), float(row["lat"]))
        kel.append(_Kelurahan(row["kode"], x, y, float(row["area_km2"])))
        poly = shapely.transform(areas[row["kode"]], fwd.transform, interleaved=False)
        shapely.prepare(poly)
        polys.append(poly)
    union = shapely.union_all(polys)
    shapely.prepare(union)
    return _Map(kel, polys, union)


@dataclass
class _Attractors:
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray  # index into GROUPS
    weight: np.ndarray
    premises: np.ndarray
    jitter: np.ndarray
    kelurahan: np.ndarray  # index into _Map.kelurahan


def _read_places(path: Path | None) -> list[tuple[float, float, str]]:
    if path is None or not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [(float(r["lon"]), float(r["lat"]), r["kategori"]) for r in csv.DictReader(fh)]


def _points_in(rng: np.random.Generator, geo: _Map, k: int, n: int, sd: float) -> np.ndarray:
    """n points around kelurahan k's interior point, inside its polygon."""
    kel = geo.kelurahan[k]
    xy = np.array([kel.x, kel.y]) + rng.normal(0, sd, (n * 30, 2))
    inside = np.asarray(shapely.contains_xy(geo.polygons[k], xy[:, 0], xy[:, 1]))
    picked = xy[inside][:n]
    if len(picked) < n:
        picked = np.vstack([picked, np.tile([kel.x, kel.y], (n - len(picked), 1))])
    return picked


def _attractors(rng: np.random.Generator, geo: _Map, places: Path | None) -> _Attractors:
    rows: list[tuple[float, float, str, float, str, float]] = []  # x y group base premises sd
    fwd = _to_utm()
    for lon, lat, kategori in _read_places(places):
        group, base, premises = PLACE_KINDS.get(kategori, OTHER_PLACE)
        x, y = fwd.transform(lon, lat)
        rows.append((x, y, group, base, premises, JITTER_M.get(group, 45.0)))
    for k, kel in enumerate(geo.kelurahan):
        size = math.sqrt(kel.area_km2 * 1e6)
        rural = 0.6 if kel.area_km2 > 30 else 1.0
        rows.append((kel.x, kel.y, "market", 4.0, "pasar", 45.0))
        for x, y in _points_in(rng, geo, k, 10, min(0.3 * size, 1200.0)):
            spot = (float(x), float(y), "residential", 2.5 * rural, "rumah tinggal")
            rows.append((*spot, JITTER_M["residential"]))
        rows.append(
            (
                kel.x,
                kel.y,
                "residential",
                DIFFUSE_WEIGHT * rural,
                "rumah tinggal",
                min(0.45 * size, 2500.0),
            )
        )
    centres = np.array([[k.x, k.y] for k in geo.kelurahan])
    dist = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    links = {(min(i, j), max(i, j)) for i in range(len(centres)) for j in np.argsort(dist[i])[1:4]}
    for i, j in sorted(links):  # roads between neighbouring kelurahan centres
        for t in rng.uniform(0.2, 0.8, 2):
            rx, ry = centres[i] + t * (centres[j] - centres[i])
            rows.append((float(rx), float(ry), "road", 2.5, "jalan raya", 60.0))
    keep = geo.inside(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    rows = [r for r, ok in zip(rows, keep, strict=True) if ok]
    ax, ay = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    base_weight = np.array([r[3] for r in rows])
    return _Attractors(
        ax,
        ay,
        np.array([GROUPS.index(r[2]) for r in rows]),
        base_weight * rng.lognormal(0.0, WEIGHT_SIGMA, len(rows)),
        np.array([r[4] for r in rows], dtype=object),
        np.array([r[5] for r in rows]),
        geo.kelurahan_index(ax, ay),
    )


# ----------------------------------------------------------------------------- generation


@dataclass
class _Events:
    category: np.ndarray
    day: np.ndarray
    seconds: np.ndarray  # local seconds since the start of the first day
    x: np.ndarray
    y: np.ndarray
    attractor: np.ndarray
    generation: np.ndarray

    def __len__(self) -> int:
        return len(self.category)

    @staticmethod
    def concat(parts: list[_Events]) -> _Events:
        return _Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in _EVENT_FIELDS))

    def take(self, index: np.ndarray) -> _Events:
        return _Events(*(getattr(self, f)[index] for f in _EVENT_FIELDS))


_EVENT_FIELDS = ("category", "day", "seconds", "x", "y", "attractor", "generation")


class _Process:
    def __init__(
        self, rng: np.random.Generator, geo: _Map, att: _Attractors, days: int, end: date
    ) -> None:
        self.rng, self.geo, self.att, self.days = rng, geo, att, days
        dates = [end - timedelta(days=days - 1 - d) for d in range(days)]
        self.dow = np.array([d.weekday() for d in dates])
        self.cal = calendar(dates)
        self.hours = np.stack([hour_cdf(PROFILES[c]) for c in CATEGORIES])
        rising = np.array([k.code in RISING_KELURAHAN for k in geo.kelurahan] + [False])
        years = (np.arange(days) - days) / 365.25
        self.growth = np.exp(  # (kelurahan + outside, day)
            np.log1p(np.where(rising, RISING_PER_YEAR, 0.0))[:, None] * years[None, :]
            + np.log1p(CITY_PER_YEAR) * years[None, :]
        )
        affinity = np.array(
            [[PROFILES[c].affinity.get(g, 0.1) for g in GROUPS] for c in CATEGORIES]
        )
        self.place = att.weight[None, :] * affinity[:, att.group]  # (category, attractor)
        self.place /= self.place.sum(axis=1, keepdims=True)

    def background(self, n: int) -> _Events:
        rng = self.rng
        shares = np.array([PROFILES[c].share * (1 - PROFILES[c].branching) for c in CATEGORIES])
        per_category = rng.multinomial(n, shares / shares.sum())
        parts = []
        for c, count in enumerate(per_category):
            if count == 0:
                continue
            by_kel = np.zeros((len(self.growth), self.place.shape[1]))
            by_kel[self.att.kelurahan, np.arange(self.place.shape[1])] = self.place[c]
            total = by_kel.sum(axis=1) @ self.growth  # place-weighted growth per day
            w = day_weights(PROFILES[CATEGORIES[c]], self.cal) * total
            day = np.sort(rng.choice(self.days, count, p=w / w.sum()))
            attractor = np.empty(count, dtype=np.int64)
            for month in np.unique(day // 30):
                sel = day // 30 == month
                mid = min(int(month) * 30 + 15, self.days - 1)
                p = self.place[c] * self.growth[self.att.kelurahan, mid]
                attractor[sel] = rng.choice(len(p), sel.sum(), p=p / p.sum())
            parts.append(self._placed(np.full(count, c), day, attractor, 0))
        return _Events.concat(parts)

    def _seconds(self, category: np.ndarray, day: np.ndarray) -> np.ndarray:
        rng = self.rng
        cdf = self.hours[category, self.dow[day]]
        hour = (cdf < rng.random(len(day))[:, None]).sum(axis=1)
        minute = rng.integers(0, 60, len(day))
        heaped = rng.random(len(day)) < 0.3
        minute = np.where(heaped, 30 * (minute >= 30), minute)
        return day * DAY_S + hour * 3600 + minute * 60

    def _placed(
        self, category: np.ndarray, day: np.ndarray, attractor: np.ndarray, generation: int
    ) -> _Events:
        rng, att = self.rng, self.att
        x, y = att.x[attractor].copy(), att.y[attractor].copy()
        todo = np.arange(len(x))
        for _ in range(12):
            sd = att.jitter[attractor[todo]]
            cx = att.x[attractor[todo]] + rng.normal(0, 1, len(todo)) * sd
            cy = att.y[attractor[todo]] + rng.normal(0, 1, len(todo)) * sd
            ok = self.geo.inside(cx, cy)
            x[todo[ok]], y[todo[ok]] = cx[ok], cy[ok]
            todo = todo[~ok]
            if not len(todo):
                break
        seconds = self._seconds(category, day)
        return _Events(category, day, seconds, x, y, attractor, np.full(len(day), generation))

    def offspring(self, parents: _Events, generation: int) -> _Events:
        rng = self.rng
        m = np.array([PROFILES[c].branching for c in CATEGORIES])
        count = rng.poisson(m[parents.category])
        idx = np.repeat(np.arange(len(count)), count)
        if not len(idx):
            return parents.take(idx)
        category = parents.category[idx].copy()
        switch = rng.random(len(idx)) < 0.15
        for c, others in OFFSPRING_OTHER.items():
            sel = switch & (category == CATEGORIES.index(c))
            category[sel] = [CATEGORIES.index(o) for o in rng.choice(others, sel.sum())]
        lag = np.floor(rng.exponential(NEAR_REPEAT_DAYS, len(idx))).astype(np.int64)
        lag = np.where(lag > 13, rng.integers(0, 14, len(idx)), lag)
        day = parents.day[idx] + lag
        inside_window = day < self.days
        day = np.minimum(day, self.days - 1)
        seconds = self._seconds(category, day)
        later = seconds <= parents.seconds[idx]
        seconds = np.where(later, seconds + DAY_S, seconds)
        day = seconds // DAY_S
        offset = rng.normal(0, NEAR_REPEAT_M, (len(idx), 2))
        norm = np.hypot(offset[:, 0], offset[:, 1])
        offset *= np.minimum(1.0, 200.0 / np.maximum(norm, 1e-9))[:, None]
        x, y = parents.x[idx] + offset[:, 0], parents.y[idx] + offset[:, 1]
        keep = inside_window & (day < self.days) & self.geo.inside(x, y)
        return _Events(
            category, day, seconds, x, y, parents.attractor[idx], np.full(len(idx), generation)
        ).take(np.flatnonzero(keep))


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


# ---------------------------------------------------------------------------------- marks


def _marks(
    rng: np.random.Generator,
    seed: int,
    geo: _Map,
    process: _Process,
    ev: _Events,
    end: date,
    days: int,
) -> SyntheticIncidents:
    n = len(ev.category)
    start_local = np.datetime64(end - timedelta(days=days - 1), "s")
    start_utc = start_local - np.timedelta64(WITA_OFFSET_S, "s")
    end_utc = start_utc + np.timedelta64(days * DAY_S, "s")
    t = ev.seconds.astype(np.int64)
    frm, to = _windows(rng, ev, t)
    limit = days * DAY_S - 60
    to = np.where(to >= 0, np.minimum(to, limit), -1)
    delay = np.array([PROFILES[CATEGORIES[c]].delay_h for c in ev.category])
    reported = np.where(to >= 0, to, frm) + (3600 * delay * rng.lognormal(0, 1.0, n)).astype(
        np.int64
    )
    reported = np.minimum(reported, limit)

    def stamp(sec: np.ndarray) -> np.ndarray:
        out = start_utc + sec.astype("timedelta64[s]")
        return np.where(sec >= 0, out, np.datetime64("NaT", "s"))

    status, victims, suspects, value = _outcomes(rng, ev.category, (limit - t) / DAY_S)
    lon, lat = Transformer.from_crs("EPSG:32750", "EPSG:4326", always_xy=True).transform(ev.x, ev.y)
    kel = geo.kelurahan_index(ev.x, ev.y)
    codes = np.array([k.code for k in geo.kelurahan] + [""], dtype=object)
    premises, modus = _texts(rng, process, ev)
    accuracy = rng.choice(
        [5.0, 10.0, 20.0, 50.0, 100.0, 250.0], n, p=[0.1, 0.25, 0.25, 0.2, 0.12, 0.08]
    )
    return SyntheticIncidents(
        seed,
        start_utc,
        end_utc,
        ev.category,
        ev.x,
        ev.y,
        np.asarray(lat),
        np.asarray(lon),
        stamp(t),
        stamp(frm),
        stamp(to),
        stamp(reported),
        codes[kel],
        premises,
        modus,
        status,
        victims,
        suspects,
        value,
        accuracy,
        _lp_numbers(ev.category, stamp(reported)),
        ev.generation,
    )


def _windows(rng: np.random.Generator, ev: _Events, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Occurred from/to (local seconds; to = -1 for an exact time). A night burglary runs from
    the evening before to the morning it is found; one by day from leaving to coming home."""
    n = len(t)
    frm, to = t.copy(), np.full(n, -1, dtype=np.int64)
    for c, name in enumerate(CATEGORIES):
        share, lo, hi = PROFILES[name].window
        sel = (ev.category == c) & (rng.random(n) < share)
        length = (rng.uniform(lo, hi, n) * 3600).astype(np.int64)
        before = (rng.random(n) * length).astype(np.int64)
        frm = np.where(sel, t - before, frm)
        to = np.where(sel, t - before + length, to)
    hour = (t // 3600) % 24
    night = (ev.category == CATEGORIES.index("curat")) & (to >= 0) & ((hour >= 20) | (hour < 6))
    found = (t // DAY_S + (hour >= 20)) * DAY_S + rng.integers(5 * 3600, 9 * 3600, n)
    slept = t - rng.integers(1800, 5 * 3600, n)
    to = np.where(night, np.maximum(found, t + 1800), to)
    frm = np.where(night, slept, frm)
    return np.maximum(frm, 0), to


def _outcomes(
    rng: np.random.Generator, category: np.ndarray, age_days: np.ndarray
) -> tuple[np.ndarray, ...]:
    n = len(category)
    prof = [PROFILES[CATEGORIES[c]] for c in category]
    solved_p = np.array([p.solved for p in prof])
    closed_p = np.array([p.closed for p in prof])
    settled = rng.random(n) < 1 - np.exp(-age_days / 45.0)
    u = rng.random(n)
    status_i = np.where(
        settled & (u < solved_p), 1, np.where(settled & (u < solved_p + closed_p), 2, 0)
    )
    victims = np.array([p.victims[0] for p in prof]) + rng.poisson([p.victims[1] for p in prof])
    sus_min = np.array([p.suspects[0] for p in prof])
    suspects = sus_min + rng.poisson([p.suspects[1] for p in prof])
    known = (status_i == 1) | np.isin(
        category, [CATEGORIES.index("narcotics"), CATEGORIES.index("gambling")]
    )
    suspects = np.where(known, suspects, 0)
    share = np.array([p.value[0] for p in prof])
    median = np.array([max(p.value[1], 1.0) for p in prof])
    sigma = np.array([p.value[2] for p in prof])
    value = np.round(median * rng.lognormal(0, 1, n) ** sigma, -3)
    car = (category == CATEGORIES.index("curanmor")) & (rng.random(n) < 0.08)
    value = np.where(car, np.round(1.5e8 * rng.lognormal(0, 0.5, n), -3), value)
    value = np.where(rng.random(n) < share, np.maximum(value, 50_000), np.nan)
    return np.asarray(STATUSES)[status_i], victims, suspects, value


def _texts(
    rng: np.random.Generator, process: _Process, ev: _Events
) -> tuple[np.ndarray, np.ndarray]:
    n = len(ev.category)
    premises = process.att.premises[ev.attractor].copy()
    modus = np.empty(n, dtype=object)
    u = rng.random(n)
    for c, name in enumerate(CATEGORIES):
        sel = ev.category == c
        modus[sel] = rng.choice(PROFILES[name].modus, sel.sum())
        home = premises == "rumah tinggal"
        if name == "traffic_accident":
            premises[sel] = np.where(u[sel] < 0.15, "persimpangan jalan", "jalan raya")
        elif name == "fraud":
            premises[sel & (u < 0.35)] = "daring (online)"
        elif name == "curas":
            premises[sel & ~home & (u < 0.5)] = "jalan umum"
        elif name == "curanmor":
            premises[sel & ~home] = "tempat parkir"
            premises[sel & home & (u < 0.3)] = "rumah kos"
        elif name in ("narcotics", "curat"):
            premises[sel & home & (u < 0.25)] = "rumah kos"
        elif name == "gambling":
            premises[sel & (u < 0.3)] = "daring (online)"
    lebaran = process.cal["lebaran"][np.minimum(ev.day, process.days - 1)]
    burglary = (ev.category == CATEGORIES.index("curat")) & lebaran & (u > 0.4)
    modus[burglary] = "merusak kunci pintu saat rumah ditinggal mudik Lebaran"
    return premises, modus


def _lp_numbers(category: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """``LP/B/SINTETIS-<n>/<month>/<year>/SPKT/POLRES BALIKPAPAN``, numbered per year and model
    in report order (model A, filed by police, for narcotics, gambling and traffic)."""
    local = reported + np.timedelta64(WITA_OFFSET_S, "s")
    years = local.astype("datetime64[Y]").astype(int) + 1970
    months = local.astype("datetime64[M]").astype(int) % 12
    out = np.empty(len(category), dtype=object)
    counters: dict[tuple[int, str], int] = {}
    for i in np.argsort(reported, kind="stable"):
        model, unit = PROFILES[CATEGORIES[category[i]]].lp.split("/")
        key = (int(years[i]), model)
        counters[key] = counters.get(key, 0) + 1
        out[i] = (
            f"LP/{model}/SINTETIS-{counters[key]}/{ROMAN[months[i]]}/{years[i]}/{unit}/"
            "POLRES BALIKPAPAN"
        )
    return out


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
