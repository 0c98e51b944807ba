"""Synthetic Balikpapan incidents: deterministic, labelled, inside the city, and shaped like real
crime (concentration, near-repeat, daily/weekly/seasonal cycles, trends, category differences).

Most tests use the pure generator (one draw of the default 24,000, shared); the database loader
and the command run once each with a smaller N."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import shapely
from django.core.management import call_command
from pyproj import Transformer
from scipy import stats
from scipy.spatial import cKDTree

from kamtibmas import demo_incidents as di
from kamtibmas.geo import lookup
from kamtibmas.geo.reference import approximate_polygons, read_facts
from kamtibmas.incidents.models import ImportBatch, Incident, IncidentEvent
from tests.conftest import shared_data

END = date(2025, 12, 31)
DAY = 86_400
ARRAYS = (
    "category", "x_m", "y_m", "lat", "lon", "time", "occurred_from", "occurred_to",
    "reported_at", "kelurahan_code", "premises_type", "modus_operandi", "status",
    "victims_count", "suspects_count", "value_lost", "location_accuracy_m", "lp_number",
)  # fmt: skip


@pytest.fixture(scope="module")
def data() -> di.SyntheticIncidents:
    shared_data("balikpapan", "places_osm.csv")
    return di.generate(42, di.DEFAULT_INCIDENTS, end=END)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype.kind == "M":
        return bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def local_day(d: di.SyntheticIncidents) -> np.ndarray:
    """Day index since the first day of the period, in WITA."""
    return (d.time - d.start).astype("timedelta64[s]").astype(np.int64) // DAY


def top_share(x_m: np.ndarray, y_m: np.ndarray, cell_m: float, top: float) -> float:
    """Share of points in the top ``top`` fraction of non-empty cells (plain numpy binning)."""
    keys = np.floor(x_m / cell_m).astype(np.int64) * 1_000_000 + np.floor(y_m / cell_m)
    _, counts = np.unique(keys, return_counts=True)
    counts = np.sort(counts)[::-1]
    k = max(1, int(np.ceil(top * len(counts))))
    return float(counts[:k].sum() / counts.sum())


def knox_ratio(x: np.ndarray, y: np.ndarray, t: np.ndarray, seed: int = 1) -> float:
    """Pairs within 200 m and 7 days, observed over the same with the times shuffled."""
    pairs = cKDTree(np.c_[x, y]).query_pairs(200.0, output_type="ndarray")

    def close(times: np.ndarray) -> int:
        return int((np.abs(times[pairs[:, 0]] - times[pairs[:, 1]]) <= 7 * DAY).sum())

    return close(t) / close(np.random.default_rng(seed).permutation(t))


# ---------------------------------------------------------------------- determinism, labels


def test_the_same_seed_draws_the_same_incidents() -> None:
    first, second = (di.generate(7, 3000, end=END) for _ in range(2))
    assert all(same(getattr(first, f), getattr(second, f)) for f in ARRAYS)
    assert list(first.records()) == list(second.records())


def test_a_different_seed_draws_different_incidents() -> None:
    first, other = di.generate(7, 3000, end=END), di.generate(8, 3000, end=END)
    assert not same(first.x_m, other.x_m)
    assert not same(first.time, other.time)


def test_it_draws_the_count_asked_over_two_years(data: di.SyntheticIncidents) -> None:
    assert len(data) == 24_000 >= 20_000
    assert data.start == np.datetime64("2024-01-01T16:00:00")  # 2 Jan 2024 00:00 WITA
    assert data.end == np.datetime64("2025-12-31T16:00:00")  # 1 Jan 2026 00:00 WITA
    assert (data.end - data.start).astype(np.int64) == 730 * DAY
    assert data.occurred_from.min() >= data.start and data.time.max() < data.end
    assert data.reported_at.max() < data.end
    assert np.all(np.diff(data.time.astype(np.int64)) >= 0)
    per_month = np.unique(data.time.astype("datetime64[M]"), return_counts=True)[1]
    assert len(per_month) == 24 and per_month.min() > 600


def test_the_default_period_ends_yesterday_in_wita() -> None:
    today_wita = (datetime.now(UTC) + timedelta(hours=8)).date()
    small = di.generate(3, 200)
    midnight_utc = np.datetime64(today_wita, "s") - np.timedelta64(8, "h")
    assert small.end == midnight_utc


def test_every_incident_is_labelled_synthetic(data: di.SyntheticIncidents) -> None:
    records = list(data.records())
    assert all(r["is_synthetic"] and r["description"].startswith("[DEMO]") for r in records)
    assert [r["external_id"] for r in records[:2]] == ["SYN-42-1", "SYN-42-2"]
    assert len({r["external_id"] for r in records}) == len(records)
    assert all("SINTETIS" in r["lp_number"] and len(r["lp_number"]) <= 60 for r in records)
    assert {r["category"] for r in records} == set(di.CATEGORIES)
    assert {r["status"] for r in records} == {"open", "solved", "closed"}


def test_every_incident_lies_inside_balikpapan(data: di.SyntheticIncidents) -> None:
    polygons = approximate_polygons(read_facts())
    city = shapely.union_all(list(polygons.values()))
    assert shapely.contains_xy(city, data.lon, data.lat).all()
    assert (data.kelurahan_code != "").all()
    assert len(set(data.kelurahan_code)) == 34
    for code in ("64.71.04.1003", "64.71.01.1003"):  # a central and a rural kelurahan
        mine = data.kelurahan_code == code
        assert shapely.contains_xy(polygons[code], data.lon[mine], data.lat[mine]).all()


# ------------------------------------------------------------------------------ structure


def test_a_few_percent_of_cells_hold_a_quarter_of_incidents(data: di.SyntheticIncidents) -> None:
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32750", always_xy=True).transform(
        data.lon, data.lat
    )
    assert np.allclose(x, data.x_m, atol=0.5) and np.allclose(y, data.y_m, atol=0.5)
    assert top_share(np.asarray(x), np.asarray(y), 150.0, 0.05) >= 0.30
    assert top_share(np.asarray(x), np.asarray(y), 150.0, 0.01) >= 0.08


def test_incidents_repeat_near_in_space_and_time(data: di.SyntheticIncidents) -> None:
    t = data.time.astype(np.int64)
    assert knox_ratio(data.x_m, data.y_m, t) > 1.1
    curat = data.category_codes() == "curat"
    assert knox_ratio(data.x_m[curat], data.y_m[curat], t[curat]) > 1.5
    assert 0.15 < (data.generation > 0).mean() < 0.4


def hour_share(data: di.SyntheticIncidents, category: str, hours: list[int]) -> float:
    return float(np.isin(data.local_hour()[data.category_codes() == category], hours).mean())


NIGHT = [18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5]


def test_daily_cycles_differ_by_category(data: di.SyntheticIncidents) -> None:
    assert hour_share(data, "curanmor", NIGHT) > 0.6
    assert hour_share(data, "curat", [0, 1, 2, 3, 4, 5]) > 0.35
    assert hour_share(data, "theft", list(range(12, 18))) > 0.4
    assert hour_share(data, "fraud", list(range(8, 17))) > 0.6
    assert hour_share(data, "traffic_accident", [6, 7, 16, 17, 18]) > 0.4
    hours = np.bincount(data.local_hour(), minlength=24)
    assert stats.chisquare(hours).pvalue < 1e-12


def test_weekly_cycles_weekend_nights_and_office_days(data: di.SyntheticIncidents) -> None:
    codes, weekday, hour = data.category_codes(), data.local_weekday(), data.local_hour()
    disorder = codes == "disorder"
    assert stats.chisquare(np.bincount(weekday[disorder], minlength=7)).pvalue < 1e-6
    weekend_night = np.isin(weekday, [4, 5]) & (hour >= 20) | np.isin(weekday, [5, 6]) & (hour < 4)
    assert weekend_night[disorder].mean() > 1.5 * weekend_night[codes == "curat"].mean()
    fraud_days = np.bincount(weekday[codes == "fraud"], minlength=7)
    assert fraud_days[:5].mean() > 1.3 * fraud_days[5:].mean()


def test_seasons_ramadan_lebaran_and_the_year_end(data: di.SyntheticIncidents) -> None:
    days = [END - timedelta(days=729 - d) for d in range(730)]
    fitri = {di.idul_fitri(2024), di.idul_fitri(2025)}
    lebaran = np.array([any(-3 <= (d - f).days <= 7 for f in fitri) for d in days])
    year_end = np.array([(d.month, d.day) >= (12, 24) or (d.month, d.day) == (1, 1) for d in days])
    codes, day = data.category_codes(), local_day(data)

    def lift(category: str, window: np.ndarray) -> float:
        per_day = np.bincount(day[codes == category], minlength=730)
        return float(per_day[window].mean() / per_day[~window].mean())

    assert lift("curat", lebaran) > 1.4  # houses left empty during mudik
    assert lift("disorder", year_end) > 1.4
    assert lift("traffic_accident", year_end) > 1.15
    months = np.unique(data.time.astype("datetime64[M]"), return_counts=True)[1]
    assert months.max() / months.min() > 1.25


def test_crime_rises_in_some_kelurahan(data: di.SyntheticIncidents) -> None:
    second_year = local_day(data) >= 365
    rising = np.isin(data.kelurahan_code, di.RISING_KELURAHAN)
    growth = second_year[rising].sum() / (~second_year[rising]).sum()
    elsewhere = second_year[~rising].sum() / (~second_year[~rising]).sum()
    assert growth > 1.2 and 0.95 < elsewhere < 1.12


def test_categories_differ_in_mix_places_and_marks(data: di.SyntheticIncidents) -> None:
    codes = data.category_codes()
    shares = {c: float((codes == c).mean()) for c in di.CATEGORIES}
    assert shares["theft"] > 0.12 and shares["homicide"] < 0.005
    home = data.premises_type == "rumah tinggal"
    assert home[codes == "domestic_violence"].mean() > 0.8
    assert np.isin(
        data.premises_type[codes == "traffic_accident"], ["jalan raya", "persimpangan jalan"]
    ).all()
    shops = np.isin(
        data.premises_type, ["pasar", "minimarket", "supermarket", "toko", "pusat perbelanjaan"]
    )
    assert shops[codes == "theft"].mean() > 2 * shops[codes == "curat"].mean()
    median = {c: np.nanmedian(data.value_lost[codes == c]) for c in ("curanmor", "theft")}
    assert median["curanmor"] > 5 * median["theft"] > 0
    assert np.isnan(data.value_lost[codes == "narcotics"]).all()
    assert (data.victims_count[codes == "narcotics"] == 0).all()
    assert (data.suspects_count[codes == "gambling"] >= 2).all()
    solved = data.status == "solved"
    assert solved[codes == "narcotics"].mean() > 2 * solved[codes == "curanmor"].mean()


def test_burglaries_are_windows_found_in_the_morning(data: di.SyntheticIncidents) -> None:
    codes = data.category_codes()
    window = ~np.isnat(data.occurred_to)
    assert window[codes == "curat"].mean() > 0.6
    assert window[codes == "assault"].mean() == 0
    found = data.occurred_to[(codes == "curat") & window]
    found_hour = ((found - data.start).astype(np.int64) // 3600) % 24
    assert np.isin(found_hour, [5, 6, 7, 8]).mean() > 0.5
    t, frm, to = (a.astype(np.int64) for a in (data.time, data.occurred_from, data.occurred_to))
    assert (frm[window] <= t[window]).all() and (t[window] <= to[window]).all()
    after = np.where(window, to, frm)
    assert (data.reported_at.astype(np.int64) >= after).all()


def test_without_the_osm_places_it_uses_kelurahan_points_only() -> None:
    small = di.generate(5, 6000, end=END, places=None)
    assert len(small) == 6000
    assert "minimarket" not in set(small.premises_type)
    assert (small.kelurahan_code != "").all()
    assert top_share(small.x_m, small.y_m, 150.0, 0.05) >= 0.25


def test_idul_fitri_is_within_a_day_of_the_calendar() -> None:
    official = [date(2023, 4, 22), date(2024, 4, 10), date(2025, 3, 31), date(2026, 3, 20)]
    for day in official:
        assert abs((di.idul_fitri(day.year) - day).days) <= 1


# ------------------------------------------------------------------------------- database


@pytest.mark.django_db
def test_the_loader_inserts_once_and_then_adds_nothing() -> None:
    first = di.load_demo_incidents(seed=9, count=1500, end=END)
    assert (first.created, first.existing, first.outside) == (1500, 0, 0)
    rows = Incident.objects.filter(is_synthetic=True)
    assert rows.count() == 1500 == di.existing_count(9)
    assert not rows.filter(kelurahan=None).exists() and not rows.filter(unit=None).exists()
    assert IncidentEvent.objects.filter(action="imported").count() == 1500
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.rows_created) == (ImportBatch.State.DONE, 1500)
    for incident in rows.order_by("pk")[:150]:
        area = lookup.locate(incident.lat, incident.lon)
        assert area is not None
        assert (incident.kelurahan_id, incident.unit_id) == (area.kelurahan_id, area.unit_id)
        assert incident.kelurahan_code == area.kelurahan_code
    drawn = next(di.generate(9, 1500, end=END).records())
    stored = Incident.objects.get(external_id="SYN-9-1")
    assert (stored.occurred_from, stored.category) == (drawn["occurred_from"], drawn["category"])
    assert stored.value_lost == drawn["value_lost"]
    second = di.load_demo_incidents(seed=9, count=1500, end=END)
    assert (second.created, second.existing) == (0, 1500)
    assert rows.count() == 1500


@pytest.mark.django_db
def test_the_demo_command_adds_incidents_once(capsys: Any) -> None:
    call_command("demo", "--reports", "0", "--incidents", "800", "--seed", "5")
    assert "demo incidents: 800 created" in capsys.readouterr().out
    call_command("demo", "--reports", "0", "--incidents", "800", "--seed", "5")
    assert "demo incidents: 800 already there, none added" in capsys.readouterr().out
    assert Incident.objects.filter(external_id__startswith="SYN-5-").count() == 800
