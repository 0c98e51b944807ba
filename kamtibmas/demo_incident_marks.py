"""Marks of the synthetic demo incidents (time windows, report delays, outcomes, texts, LP
numbers) and the column arrays they end up in. See :mod:`kamtibmas.demo_incidents`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from pyproj import Transformer

from kamtibmas.demo_incident_process import DAY_S, _Events, _Map, _Process
from kamtibmas.demo_incident_profiles import (
    CATEGORIES,
    LABELS,
    PROFILES,
)

WITA_OFFSET_S = 8 * 3600
EXTERNAL_ID_PREFIX = "SYN-{seed}-"
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
