"""The point process behind the synthetic demo incidents: geography, attractors (micro-places),
background events and near-repeat offspring. See :mod:`kamtibmas.demo_incidents` for the design."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from kamtibmas.demo_incident_profiles import (
    CATEGORIES,
    GROUPS,
    OFFSPRING_OTHER,
    OTHER_PLACE,
    PLACE_KINDS,
    PROFILES,
    calendar,
    day_weights,
    hour_cdf,
)

DAY_S = 86_400
FACTS_CSV = Path(__file__).parent / "geo" / "data" / "kelurahan_facts.csv"


def _find_places() -> Path:
    """../shared/data/balikpapan/places_osm.csv beside the project's root (a checkout), else
    beside the working directory; the first when neither exists (then it is skipped)."""
    name = Path("shared", "data", "balikpapan", "places_osm.csv")
    candidates = [Path(__file__).resolve().parents[2] / name, Path.cwd().parent / name]
    return next((p for p in candidates if p.exists()), candidates[0])


PLACES_CSV = _find_places()

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
